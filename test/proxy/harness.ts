// A proxy in this process, in front of the replaying upstream, writing to a fresh tape.
import http from 'node:http';
import { mkdtempSync, rmSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWriter } from '../../src/tape/db.js';
import { TapeWriter } from '../../src/tape/writer.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import type { CallRow } from '../../src/tape/row.js';
import { flagNames } from '../../src/tape/row.js';
import { resolveUpstreams, startProxy, type ProxyOptions, type RunningProxy } from '../../src/proxy/index.js';
import { startUpstream, type Upstream } from './upstream.js';

export const PRICES = new PriceBook();

export interface Harness {
  readonly dir: string;
  readonly dbPath: string;
  readonly stateDir: string;
  readonly upstream: Upstream;
  readonly proxy: RunningProxy;
  readonly base: string;
  readonly writer: TapeWriter;
  readonly logs: string[];
  rows(): CallRow[];
  waitRows(n: number, timeoutMs?: number): Promise<CallRow[]>;
  close(): Promise<void>;
}

export async function until<T>(fn: () => T | undefined | null | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function startHarness(extra: Partial<ProxyOptions> = {}, upstream?: Upstream): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'tape-proxy-'));
  const dbPath = join(dir, 'tape.db');
  const stateDir = join(dir, 'state');
  const up = upstream ?? (await startUpstream());
  const db = openWriter(dbPath);
  const writer = new TapeWriter(db, PRICES, { path: dbPath, host: 'test-box' });
  const logs: string[] = [];
  const u = `http://127.0.0.1:${up.port}`;
  let proxy: RunningProxy;
  try {
    proxy = await startProxy({
      dbPath, prices: PRICES, stateDir, writer, port: 0, defaultProject: 'default', host: 'test-box',
      upstreams: resolveUpstreams({}, [`anthropic=${u}`, `openai=${u}`, `gemini=${u}`]),
      log: (l) => logs.push(l),
      ...extra,
    });
  } catch (err) {
    writer.close();
    db.close();
    if (!upstream) await up.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const rows = () => db.prepare('SELECT * FROM tape ORDER BY id').all() as CallRow[];
  return {
    dir, dbPath, stateDir, upstream: up, proxy, writer, logs,
    base: `http://127.0.0.1:${proxy.port}`,
    rows,
    waitRows: (n, timeoutMs = 10_000) => until(() => { const r = rows(); return r.length >= n ? r : null; }, timeoutMs, `${n} rows`),
    async close() {
      await proxy.close();
      writer.close();
      db.close();
      await up.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The parts of a row a fixture's `expect` names, flags as names. */
export function rowView(r: CallRow, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = k === 'flags' ? [...flagNames(r.flags)] : (r as unknown as Record<string, unknown>)[k];
  return out;
}

/** Every file under dir (recursively) that contains needle, as paths. */
export function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  error: Error | null;
}

export function send(base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; abortAfterBytes?: number } = {}): Promise<Reply> {
  return new Promise((resolve) => {
    const req = http.request(base + path, { method: opts.method ?? 'POST', headers: { 'content-type': 'application/json', ...opts.headers } });
    const parts: Buffer[] = [];
    let status = 0;
    let headers: http.IncomingHttpHeaders = {};
    let settled = false;
    const done = (error: Error | null) => {
      if (settled) return;
      settled = true;
      resolve({ status, headers, body: Buffer.concat(parts), error });
    };
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      headers = res.headers;
      let got = 0;
      res.on('data', (c: Buffer) => {
        parts.push(c);
        got += c.length;
        if (opts.abortAfterBytes !== undefined && got >= opts.abortAfterBytes) {
          req.destroy();
          done(new Error('aborted by the client'));
        }
      });
      res.on('end', () => done(null));
      res.on('error', (e) => done(e));
      res.on('close', () => done(res.complete ? null : new Error('response cut')));
    });
    req.on('error', (e) => done(e));
    req.end(opts.body ?? '{"model":"m","messages":[]}');
  });
}

