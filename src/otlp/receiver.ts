import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TapeWriter } from '../tape/writer.js';
import type { NewCall } from '../tape/row.js';
import { invalidCall } from '../tape/validate.js';
import { TapeError, ExitCode } from '../errors.js';
import { readBody, BodyError } from './body.js';
import { DecodeError, type DecodedRequest } from './decode.js';
import { decodeProtobuf } from './wire.js';
import { decodeJson } from './decode-json.js';
import { FILTER, spanToCall, cleanText } from './spans.js';
import { encodingOf, sendStatus, sendSuccess, type Encoding } from './respond.js';
import { checkListenHost, hostHeaderAllowed } from './listen.js';

export interface OtlpReceiverOptions {
  readonly writer: TapeWriter;
  /** default 127.0.0.1; a non-loopback address needs `allowRemote` */
  readonly host?: string;
  /** default 4318 (OTLP/HTTP); 0 picks a free port */
  readonly port?: number;
  readonly allowRemote?: boolean;
  /** project for spans that name none (default "default") */
  readonly project?: string;
  /** body limit after decompression, bytes (default 20 MiB, the spec's recommendation) */
  readonly maxBodyBytes?: number;
  /** requests handled at once before answering 429 (default 32) */
  readonly maxInFlight?: number;
  /** rows waiting in the writer's queue before answering 429 (default 20,000) */
  readonly maxPendingRows?: number;
  /** after a failed write, answer 503 at once for this long, ms (default 1,000) */
  readonly unwritableBackoffMs?: number;
  readonly clock?: () => number;
}

export interface OtlpStats {
  requests: number;
  spans: number;
  rows: number;
  duplicates: number;
  rejected: number;
  ignored: number;
}

export interface OtlpReceiver {
  readonly host: string;
  readonly port: number;
  readonly stats: Readonly<OtlpStats>;
  close(): Promise<void>;
}

const PATH = '/v1/traces';
const RETRY_AFTER_BUSY_S = 1;
const FLUSH_AT = 64;
const RETRY_AFTER_UNWRITABLE_S = 5;

class Handler {
  readonly stats: OtlpStats = { requests: 0, spans: 0, rows: 0, duplicates: 0, rejected: 0, ignored: 0 };
  inFlight = 0;
  private unwritableUntil = 0;
  private readonly o: Required<Omit<OtlpReceiverOptions, 'host' | 'port' | 'allowRemote'>> & { allowRemote: boolean };

  constructor(opts: OtlpReceiverOptions) {
    this.o = {
      writer: opts.writer,
      allowRemote: opts.allowRemote ?? false,
      project: opts.project ?? 'default',
      maxBodyBytes: opts.maxBodyBytes ?? 20 * 1024 * 1024,
      maxInFlight: opts.maxInFlight ?? 32,
      maxPendingRows: opts.maxPendingRows ?? 20_000,
      unwritableBackoffMs: opts.unwritableBackoffMs ?? 1000,
      clock: opts.clock ?? Date.now,
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const enc: Encoding = encodingOf(req.headers['content-type']) ?? 'json';
    const path = (req.url ?? '').split('?', 1)[0];
    if (!this.o.allowRemote && !hostHeaderAllowed(req.headers.host)) {
      return sendStatus(res, 403, enc, 'the Host header is not a loopback name (DNS rebinding guard); send to 127.0.0.1 or localhost');
    }
    if (path !== PATH) return sendStatus(res, 404, enc, `no such endpoint ${cleanText(path ?? '', 80)}; OTLP traces go to POST ${PATH}`);
    if (req.method !== 'POST') return sendStatus(res, 405, enc, `${PATH} takes POST`, { allow: 'POST' });
    if (!encodingOf(req.headers['content-type'])) {
      return sendStatus(res, 415, 'json', `Content-Type "${cleanText(req.headers['content-type'] ?? '', 60)}" is not supported; send application/x-protobuf or application/json`);
    }
    if (this.o.clock() < this.unwritableUntil) {
      return sendStatus(res, 503, enc, 'the tape cannot be written right now; retry later', { 'retry-after': String(RETRY_AFTER_UNWRITABLE_S) });
    }
    if (this.inFlight >= this.o.maxInFlight || this.o.writer.pending >= this.o.maxPendingRows) {
      return sendStatus(res, 429, enc, 'the receiver is busy; retry later', { 'retry-after': String(RETRY_AFTER_BUSY_S) });
    }
    this.inFlight++;
    try {
      await this.export(req, res, enc);
    } finally {
      this.inFlight--;
    }
  }

  private async export(req: IncomingMessage, res: ServerResponse, enc: Encoding): Promise<void> {
    this.stats.requests++;
    let decoded: DecodedRequest;
    try {
      const body = await readBody(req, this.o.maxBodyBytes);
      // an empty body is an empty request, which the spec asks servers to accept
      decoded = body.length === 0 ? { resources: [], totalSpans: 0 } : enc === 'json' ? decodeJson(body, FILTER) : decodeProtobuf(body, FILTER);
    } catch (err) {
      if (err instanceof BodyError) return sendStatus(res, err.status, enc, err.message);
      if (err instanceof DecodeError) return sendStatus(res, 400, enc, cleanText(err.message, 300));
      throw err;
    }
    const { calls, rejected, reasons } = this.toCalls(decoded);
    this.stats.spans += decoded.totalSpans;
    let ids: (number | null)[];
    try {
      const pending = Promise.all(calls.map((c) => this.o.writer.append(c)));
      // a big export is already a batch: commit it now rather than wait for the group-commit timer
      if (calls.length >= FLUSH_AT) this.o.writer.flush();
      ids = await pending;
    } catch (err) {
      if (err instanceof TapeError && err.exitCode === ExitCode.unwritable) {
        this.unwritableUntil = this.o.clock() + this.o.unwritableBackoffMs;
        return sendStatus(res, 503, enc, `${err.message} (nothing from this request was written)`, { 'retry-after': String(RETRY_AFTER_UNWRITABLE_S) });
      }
      return sendStatus(res, 500, enc, `cannot write the spans: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const id of ids) id === null ? this.stats.duplicates++ : this.stats.rows++;
    this.stats.rejected += rejected;
    this.stats.ignored += decoded.totalSpans - calls.length - rejected;
    const message = rejected > 0 ? `${rejected} LLM span${rejected === 1 ? '' : 's'} rejected: ${reasons.join('; ')}` : '';
    sendSuccess(res, enc, rejected, message);
  }

  private toCalls(decoded: DecodedRequest): { calls: NewCall[]; rejected: number; reasons: string[] } {
    const calls: NewCall[] = [];
    const reasons: string[] = [];
    let rejected = 0;
    const defaults = { project: this.o.project, priceVersion: this.o.writer.prices.version };
    for (const resource of decoded.resources) {
      for (const span of resource.spans) {
        const out = spanToCall(span, resource, defaults);
        // the writer's own check too, so that one bad row is rejected alone rather than failing the request
        const why = out.call ? invalidCall(out.call) : out.reject;
        if (!why) {
          calls.push(out.call!);
          continue;
        }
        rejected++;
        // a few reasons are enough to act on; the count says how many
        if (reasons.length < 3) reasons.push(`span ${span.spanId || '(no id)'} of trace ${span.traceId || '(no id)'}: ${why}`);
      }
    }
    return { calls, rejected, reasons };
  }
}

/**
 * Starts the OTLP/HTTP trace receiver (POST /v1/traces, protobuf or JSON, gzip or deflate).
 * Spans that describe model calls become rows through the writer; other spans are ignored.
 * The writer stays the caller's: close() stops the server and waits for requests in flight.
 */
export async function startOtlpReceiver(opts: OtlpReceiverOptions): Promise<OtlpReceiver> {
  const host = opts.host ?? '127.0.0.1';
  checkListenHost(host, opts.allowRemote ?? false);
  const handler = new Handler(opts);
  const server: Server = createServer((req, res) => {
    handler.handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendStatus(res, 500, 'json', `internal error: ${err instanceof Error ? err.message : String(err)}`);
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000; // a client that never sends its headers is dropped
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new TapeError(`port ${opts.port ?? 4318} on ${host} is in use; stop what holds it or pass --port`, ExitCode.unavailable));
      else if (err.code === 'EACCES') reject(new TapeError(`not allowed to listen on ${host}:${opts.port ?? 4318}; pick a port above 1023`, ExitCode.unavailable));
      else reject(err);
    });
    server.listen(opts.port ?? 4318, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    stats: handler.stats,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        const poll = setInterval(() => {
          if (handler.inFlight === 0) {
            clearInterval(poll);
            server.closeAllConnections();
          }
        }, 10);
        poll.unref();
      });
      return closing;
    },
  };
}
