import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';

/** Why a body could not be read; `status` is the HTTP answer (400, 413, 415). */
export class BodyError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Reads a request body, inflating gzip or deflate as it arrives, and stops as soon as the
 * decompressed size passes `limit` (413): a gzip bomb is cut after `limit` bytes of output, never
 * inflated whole. The compressed stream is bounded by the same limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let inflater: Gunzip | Inflate | null = null;
  if (encoding === 'gzip' || encoding === 'x-gzip') inflater = createGunzip();
  else if (encoding === 'deflate') inflater = createInflate();
  else if (encoding !== 'identity' && encoding !== '') {
    return Promise.reject(new BodyError(415, `Content-Encoding "${encoding.slice(0, 40)}" is not supported (use gzip, deflate or none)`));
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new BodyError(413, `the body is ${declared} bytes, above the limit of ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let raw = 0;
    let settled = false;
    const done = (err: Error | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      req.off('data', onRaw);
      if (err) {
        inflater?.destroy();
        req.resume(); // drain what is left; the answer is sent with Connection: close
        reject(err);
      } else resolve(body!);
    };
    const tooLarge = () => done(new BodyError(413, `the body is larger than ${limit} bytes${inflater ? ' once decompressed' : ''}`));
    const onOut = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return tooLarge();
      chunks.push(chunk);
    };
    const onRaw = (chunk: Buffer) => {
      raw += chunk.length;
      if (raw > limit) return tooLarge();
      if (inflater) inflater.write(chunk);
      else onOut(chunk);
    };
    req.on('data', onRaw);
    req.on('error', (err) => done(err));
    req.on('aborted', () => done(new BodyError(400, 'the client closed the connection before the body ended')));
    if (inflater) {
      inflater.on('data', onOut);
      inflater.on('error', (err) => done(new BodyError(400, `the ${encoding} body cannot be decompressed (${err.message})`)));
      inflater.on('end', () => done(null, Buffer.concat(chunks, size)));
      req.on('end', () => inflater!.end());
    } else {
      req.on('end', () => done(null, Buffer.concat(chunks, size)));
    }
  });
}
