import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import type { Observer } from './adapters/types.js';
import { parseJson } from './adapters/types.js';
import { SseParser } from './sse.js';

/** Largest JSON body parsed whole (decoded bytes); past it only the tail is kept for usage. */
const JSON_CAP = 32 << 20;
const TAIL_KEEP = 1 << 20;

type Kind = 'sse' | 'json' | 'none';

function kindOf(contentType: string | undefined): Kind {
  const ct = (contentType ?? '').toLowerCase();
  if (ct.startsWith('text/event-stream')) return 'sse';
  if (ct.includes('json')) return 'json';
  return 'none';
}

/** zstd decoding arrived in Node 22.15 / 23.8; this proxy runs on Node 20 too. */
const zstd = (zlib as unknown as { createZstdDecompress?: (o?: object) => Transform }).createZstdDecompress;

/** Content codings whose bodies the proxy can read usage from (see acceptEncodingFor). */
export const READABLE_CODINGS: ReadonlySet<string> = new Set(['identity', 'gzip', 'x-gzip', 'deflate', 'br', ...(zstd ? ['zstd'] : [])]);

/** A decoder for a copy of the body; null for identity, 'unknown' for encodings we cannot read. */
function decoderFor(encoding: string | undefined): Transform | null | 'unknown' {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return null;
  const sync = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  if (enc === 'gzip' || enc === 'x-gzip') return zlib.createGunzip(sync);
  if (enc === 'deflate') return zlib.createInflate(sync);
  if (enc === 'br') return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
  if (enc === 'zstd' && zstd) return zstd();
  return 'unknown';
}

/**
 * Looks for the last `"usage"` (or `"usageMetadata"`) object in the tail of a body too large to
 * parse whole (e.g. a big embeddings response) and returns it wrapped as `{usage: ...}`.
 */
export function tailUsage(text: string): unknown {
  for (const key of ['"usage"', '"usageMetadata"']) {
    const at = text.lastIndexOf(key);
    if (at < 0) continue;
    const open = text.indexOf('{', at + key.length);
    if (open < 0) continue;
    let depth = 0;
    for (let i = open; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x7b) depth++;
      else if (c === 0x7d && --depth === 0) {
        const inner = parseJson(text.slice(open, i + 1));
        return inner === undefined ? undefined : { [key.slice(1, -1)]: inner };
      }
    }
  }
  return undefined;
}

/**
 * Reads a copy of a response body as it passes: SSE events go to the observer as they
 * complete, a JSON body is parsed at the end. The forwarded bytes are never touched: a
 * compressed body is decoded here, on a copy, and only for reading usage.
 */
export class ResponseTap {
  private readonly kind: Kind;
  private readonly decoder: Transform | null;
  private readonly sse: SseParser | null = null;
  private chunks: Buffer[] = [];
  private size = 0;
  private overflow = false;
  /** the body could not be read (unknown encoding, decode error, oversized stream line) */
  unreadable = false;
  private readonly done: Promise<void>;

  constructor(private readonly observer: Observer, contentType: string | undefined, contentEncoding: string | undefined) {
    this.kind = kindOf(contentType);
    const dec = this.kind === 'none' ? null : decoderFor(contentEncoding);
    if (dec === 'unknown') {
      this.unreadable = true;
      this.kind = 'none';
      this.decoder = null;
    } else this.decoder = dec;
    if (this.kind === 'sse') this.sse = new SseParser((name, data) => this.observer.event(name, data));
    if (this.decoder) {
      const d = this.decoder;
      d.on('data', (b: Buffer) => this.take(b));
      this.done = new Promise((resolve) => {
        d.once('end', resolve);
        d.once('error', () => {
          this.unreadable = true;
          resolve();
        });
      });
    } else this.done = Promise.resolve();
  }

  /** Sees one chunk of the body (the same Buffer that is forwarded; not modified). */
  push(chunk: Buffer): void {
    if (this.kind === 'none') return;
    if (this.decoder) this.decoder.write(chunk);
    else this.take(chunk);
  }

  private take(b: Buffer): void {
    if (this.sse) return this.sse.push(b);
    this.size += b.length;
    this.chunks.push(b);
    if (this.size > JSON_CAP) {
      this.overflow = true;
      const all = Buffer.concat(this.chunks);
      this.chunks = [all.subarray(all.length - TAIL_KEEP)];
      this.size = TAIL_KEEP;
    }
  }

  /** The body ended (or was cut): reads what was kept. */
  async finish(): Promise<void> {
    if (this.decoder) {
      this.decoder.end();
      await this.done;
    }
    if (this.sse) {
      this.sse.end();
      if (this.sse.overflowed) this.unreadable = true;
      return;
    }
    if (this.kind !== 'json' || this.size === 0) return;
    const text = Buffer.concat(this.chunks).toString('utf8');
    this.chunks = [];
    const body = this.overflow ? tailUsage(text) : parseJson(text);
    if (body !== undefined) this.observer.json(body);
  }

  /** Drops everything (client or upstream went away and nothing more will be read). */
  discard(): void {
    this.chunks = [];
    this.decoder?.destroy();
  }
}
