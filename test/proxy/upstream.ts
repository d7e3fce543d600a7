// A local stand-in for the providers: replays recorded-format responses (fixtures/proxy)
// byte for byte, whole or in tiny chunks, optionally compressed (x-compress: gzip | br |
// deflate), and can cut, reset, slow or hold open a response. It keeps
// its own log of calls so tests can compare it with the tape.
import http from 'node:http';
import zlib from 'node:zlib';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface Fixture {
  readonly name: string;
  readonly route: 'anthropic' | 'openai' | 'gemini';
  readonly sdk: string;
  /** proxy path and request body for the HTTP replay */
  readonly path?: string;
  readonly request?: unknown;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly expect: Record<string, unknown>;
}

export const FIXTURE_DIR = new URL('../../fixtures/proxy/', import.meta.url).pathname;

/** The fixtures in a folder (fixtures/proxy by default, which the wire and fault tests name). */
export function loadFixtures(dir = FIXTURE_DIR): Map<string, Fixture> {
  const out = new Map<string, Fixture>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const meta = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    out.set(meta.name, { ...meta, body: readFileSync(join(dir, meta.body)) });
  }
  return out;
}

/** The set the replay and SDK tests go through: $TAPE_PROXY_FIXTURES (a held-out set in the same format), else fixtures/proxy. */
export function replaySet(): Map<string, Fixture> {
  return loadFixtures(process.env.TAPE_PROXY_FIXTURES || FIXTURE_DIR);
}

export interface UpstreamCall {
  readonly seq: string;
  readonly fixture: string;
  readonly method: string;
  readonly url: string;
  readonly host: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: Buffer;
  /** the response ended as intended (not cut, reset or aborted) */
  completed: boolean;
}

export interface Upstream {
  readonly port: number;
  readonly calls: UpstreamCall[];
  readonly fixtures: Map<string, Fixture>;
  /** bytes as sent for a call (with its sequence number filled in) */
  bytesFor(fixture: string, seq: string): Buffer;
  close(): Promise<void>;
}

function fill(buf: Buffer, seq: string): Buffer {
  return buf.includes('__SEQ__') ? Buffer.from(buf.toString('latin1').replaceAll('__SEQ__', seq), 'latin1') : buf;
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Seeded chunk sizes 1..3 (xorshift), so tiny-chunk runs are reproducible. */
function* tinySizes(seed: number): Generator<number> {
  let x = seed || 1;
  for (;;) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    yield 1 + ((x >>> 0) % 3);
  }
}

export type Coding = 'gzip' | 'br' | 'deflate';

function compressor(coding: string): zlib.Gzip | zlib.BrotliCompress | zlib.Deflate {
  if (coding === 'gzip') return zlib.createGzip();
  if (coding === 'br') return zlib.createBrotliCompress();
  if (coding === 'deflate') return zlib.createDeflate();
  throw new Error(`upstream: unknown x-compress "${coding}"`);
}

/** The body split after each SSE event (blank line, LF or CRLF); one piece for other bodies. */
export function eventPieces(body: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  const text = body.toString('latin1');
  const blank = /\r?\n\r?\n/g;
  let at = 0;
  for (let hit = blank.exec(text); hit; hit = blank.exec(text)) {
    pieces.push(body.subarray(at, hit.index + hit[0].length));
    at = hit.index + hit[0].length;
  }
  if (at < body.length) pieces.push(body.subarray(at));
  return pieces;
}

/**
 * A body as the upstream sends it with `content-encoding: coding` (request header
 * `x-compress`). An SSE body is compressed the way a streaming server does it, with a flush
 * after each event, so that every event can be decoded as soon as its bytes arrive.
 */
export async function compress(body: Buffer, coding: string, sse = false): Promise<Buffer> {
  const z = compressor(coding);
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise<void>((r) => z.once('end', r));
  const flushKind = coding === 'br' ? zlib.constants.BROTLI_OPERATION_FLUSH : zlib.constants.Z_SYNC_FLUSH;
  for (const piece of sse ? eventPieces(body) : [body]) {
    z.write(piece);
    await new Promise<void>((r) => z.flush(flushKind, () => r()));
  }
  z.end();
  await ended;
  return Buffer.concat(out);
}

/** Whether a fixture's body is an SSE stream. */
export const isSse = (fx: Fixture) => (fx.headers['content-type'] ?? '').startsWith('text/event-stream');

async function respond(req: http.IncomingMessage, res: http.ServerResponse, fx: Fixture, call: UpstreamCall): Promise<void> {
  const h = req.headers;
  let body = fill(fx.body, call.seq);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(fx.headers)) headers[k] = fill(Buffer.from(v, 'latin1'), call.seq).toString('latin1');
  const coding = String(h['x-compress'] ?? '');
  if (coding) {
    body = await compress(body, coding, isSse(fx));
    headers['content-encoding'] = coding;
  }
  const chunking = String(h['x-chunking'] ?? 'whole');
  if (chunking === 'whole') headers['content-length'] = String(body.length);
  res.writeHead(fx.status, headers);
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  const cutAt = h['x-cut-after'] ? Number(h['x-cut-after']) : h['x-reset-after'] ? Number(h['x-reset-after']) : -1;
  const slowMs = h['x-slow-ms'] ? Number(h['x-slow-ms']) : 0;
  let pieces: Buffer[];
  if (chunking === 'tiny') {
    pieces = [];
    const sizes = tinySizes(Number(call.seq) + 7);
    for (let i = 0; i < body.length; ) {
      const n = sizes.next().value as number;
      pieces.push(body.subarray(i, i + n));
      i += n;
    }
  } else if (slowMs > 0) {
    pieces = eventPieces(body);
  } else pieces = [body];
  let sent = 0;
  for (const p of pieces) {
    if (res.destroyed) return;
    if (cutAt >= 0 && sent + p.length > cutAt) {
      res.write(p.subarray(0, cutAt - sent));
      await sleep(20);
      if (h['x-reset-after']) res.socket?.resetAndDestroy();
      else res.socket?.destroy();
      return;
    }
    res.write(p);
    sent += p.length;
    if (slowMs > 0) await sleep(slowMs);
    else if (chunking === 'tiny') await tick();
  }
  // x-hold-ms: every byte is out but the body's end is held back (the client may hang up first)
  if (h['x-hold-ms']) await sleep(Number(h['x-hold-ms']));
  if (res.destroyed) return;
  res.end();
  call.completed = true;
}

/** Starts the replaying upstream on 127.0.0.1:0. Requests pick their fixture with `x-fixture`. */
export async function startUpstream(fixtures = loadFixtures()): Promise<Upstream> {
  const calls: UpstreamCall[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const name = String(req.headers['x-fixture'] ?? '');
      const call: UpstreamCall = {
        seq: String(++n).padStart(6, '0'), fixture: name, method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '',
        headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(parts), completed: false,
      };
      calls.push(call);
      if (req.headers['x-reset-before-head']) {
        req.socket.resetAndDestroy();
        return;
      }
      const fx = fixtures.get(name);
      if (!fx) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no fixture "${name}"` } }));
        return;
      }
      void respond(req, res, fx, call);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    calls,
    fixtures,
    bytesFor: (f, seq) => fill(fixtures.get(f)!.body, seq),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
