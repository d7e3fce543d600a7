import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Target, Upstream } from './route.js';
import type { Journal } from './journal.js';
import type { Recorder } from './recorder.js';
import { ResponseTap } from './tap.js';
import { buildRow, requestIdOf, type Outcome } from './row.js';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js';
import type { Observer } from './adapters/types.js';

export interface CallEnv {
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly agents: { readonly http: http.Agent; readonly https: https.Agent };
  readonly journal: Journal;
  readonly recorder: Recorder;
  readonly priceVersion: string;
  readonly host?: string;
  readonly now: () => number;
  /** called once when the call is over (row handed to the recorder, or not recorded) */
  readonly done: (call: ProxyCall) => void;
}

/** Request bodies are peeked (never kept past the call) only to learn the requested model. */
const MODEL_PEEK = 64 << 10;
const MODEL_RE = /"model"\s*:\s*"((?:[^"\\]|\\.){1,200})"/;
/** connection errors that mean the request never reached the provider */
const NOT_REACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'SELF_SIGNED_CERT_IN_CHAIN']);

function modelFromBody(peek: Buffer, whole: boolean): string | null {
  const text = peek.toString('utf8');
  if (whole) {
    try {
      const m = (JSON.parse(text) as { model?: unknown }).model;
      return typeof m === 'string' && m.length > 0 && m.length <= 256 ? m : null;
    } catch {
      // fall through to the pattern
    }
  }
  const m = MODEL_RE.exec(text);
  return m ? m[1]! : null;
}

export function sendError(res: ServerResponse, status: number, type: string, message: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ type: 'error', error: { type, message: `tape proxy: ${message}` } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** One call through the proxy: forwards bytes both ways untouched and reads usage off a copy. */
export class ProxyCall {
  private readonly ts: number;
  private readonly t0 = performance.now();
  private lastByte = 0;
  private status = 0;
  private headerId: string | null = null;
  private requestModel: string | null;
  private observer: Observer | null = null;
  private tap: ResponseTap | null = null;
  private streamed = false;
  private finished = false;
  private upReq: http.ClientRequest | null = null;
  private readonly jid: string | null;

  constructor(
    private readonly env: CallEnv,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly target: Target,
    private readonly project: string,
    /** write a row for this call (false for listings and token counts) */
    readonly recorded: boolean,
  ) {
    this.ts = env.now();
    this.requestModel = target.adapter.modelFromPath(target.providerPath);
    this.jid = recorded ? env.journal.newId() : null;
  }

  /** Journals the call, then opens the upstream request. Throws (before any byte goes out) if the journal fails. */
  start(): void {
    const { adapter } = this.target;
    if (this.jid) this.env.journal.begin({ jid: this.jid, ts: this.ts, provider: adapter.provider, project: this.project, model: this.requestModel, status: 0, requestId: null });
    const up = this.env.upstreams.get(adapter.provider)!;
    const https_ = up.url.protocol === 'https:';
    const upReq = (https_ ? https : http).request({
      hostname: up.url.hostname.replace(/^\[|\]$/g, ''),
      port: up.url.port || (https_ ? 443 : 80),
      method: this.req.method,
      path: this.target.upstreamPath,
      headers: upstreamRequestHeaders(this.req.rawHeaders, up.url.host) as unknown as http.OutgoingHttpHeaders,
      setHost: false,
      agent: https_ ? this.env.agents.https : this.env.agents.http,
    });
    this.upReq = upReq;
    upReq.on('response', (r) => this.onResponse(r));
    upReq.on('error', (err: NodeJS.ErrnoException) => this.onUpstreamError(err));
    this.res.on('close', () => {
      if (!this.res.writableFinished) this.finish({ kind: 'aborted' });
    });
    this.peekModel();
    this.req.pipe(upReq);
  }

  private peekModel(): void {
    const ct = String(this.req.headers['content-type'] ?? '');
    if (!this.recorded || !ct.includes('json') || this.req.headers['content-encoding']) return;
    const parts: Buffer[] = [];
    let size = 0;
    let whole = true;
    const onData = (c: Buffer) => {
      if (size >= MODEL_PEEK) {
        whole = false;
        this.req.off('data', onData);
        return;
      }
      parts.push(c);
      size += c.length;
    };
    this.req.on('data', onData);
    this.req.once('end', () => {
      const m = modelFromBody(Buffer.concat(parts), whole && size <= MODEL_PEEK);
      if (m && !this.requestModel) this.requestModel = m;
      if (m && this.jid) this.env.journal.model(this.jid, m);
    });
  }

  private onResponse(upRes: IncomingMessage): void {
    const { adapter } = this.target;
    this.status = upRes.statusCode ?? 0;
    this.headerId = adapter.headerId(upRes.headers);
    if (this.jid) this.env.journal.head(this.jid, this.status, this.headerId);
    if (this.finished) {
      upRes.destroy();
      return;
    }
    if (this.recorded) {
      this.observer = adapter.observer();
      const ct = upRes.headers['content-type'];
      this.streamed = String(ct ?? '').toLowerCase().startsWith('text/event-stream');
      this.tap = new ResponseTap(this.observer, ct, upRes.headers['content-encoding']);
    }
    this.res.writeHead(this.status, upRes.statusMessage, clientResponseHeaders(upRes.rawHeaders));
    // a stream's head goes out at once (as the upstream sent it); other heads ride with the body
    if (this.streamed) this.res.flushHeaders();
    upRes.pipe(this.res);
    // after pipe: each chunk is handed to the client first, then read
    const tap = this.tap;
    if (tap) {
      upRes.on('data', (c: Buffer) => {
        this.lastByte = performance.now();
        tap.push(c);
      });
    }
    upRes.on('end', () => this.finish({ kind: 'complete' }));
    upRes.on('close', () => {
      if (!upRes.complete) {
        this.finish({ kind: 'cut' });
        this.res.destroy();
      }
    });
    upRes.on('error', () => {
      // the close handler records the cut
    });
  }

  private onUpstreamError(err: NodeJS.ErrnoException): void {
    if (this.finished) return;
    if (this.status !== 0) {
      this.finish({ kind: 'cut' });
      this.res.destroy();
      return;
    }
    const reached = !NOT_REACHED.has(err.code ?? '');
    this.finish({ kind: 'unreachable', reached });
    const name = this.target.adapter.route;
    sendError(this.res, 502, 'upstream_unreachable', `cannot reach the ${name} upstream (${err.code ?? 'connection failed'})`);
  }

  /** Stops the call now (shutdown past its drain deadline): recorded as cut. */
  abort(): void {
    this.finish({ kind: 'cut' });
    this.upReq?.destroy();
    this.res.destroy();
  }

  private finish(outcome: Outcome): void {
    if (this.finished) return;
    this.finished = true;
    const end = outcome.kind === 'complete' && this.lastByte > 0 ? this.lastByte : performance.now();
    if (outcome.kind === 'aborted') this.upReq?.destroy();
    if (!this.recorded || !this.jid) {
      this.env.done(this);
      return;
    }
    const tap = this.tap;
    const settle = tap ? tap.finish() : Promise.resolve();
    void settle.then(() => this.record(outcome, end - this.t0, tap?.unreadable ?? false));
  }

  private record(outcome: Outcome, durationMs: number, unreadable: boolean): void {
    const { adapter } = this.target;
    const seen = this.observer?.seen ?? null;
    const jid = this.jid!;
    const rid = requestIdOf({ headerId: this.headerId, seen });
    if (rid !== this.headerId) this.env.journal.head(jid, this.status, rid);
    // A client that hangs up once the stream has said its last word (message_stop, [DONE],
    // response.completed, an error event) lost nothing: SDKs often close as soon as they have
    // it, before the final bytes of the body. The call is as complete as the provider made it.
    const said = this.streamed && (seen?.terminal === true || seen?.streamError === true);
    const row = buildRow({
      ts: this.ts, project: this.project, provider: adapter.provider, durationMs, status: this.status,
      requestModel: this.requestModel, headerId: this.headerId, seen, streamed: this.streamed,
      hasTerminalEvent: adapter.hasTerminalEvent, unreadable, outcome: outcome.kind === 'aborted' && said ? { kind: 'complete' } : outcome,
      priceVersion: this.env.priceVersion, host: this.env.host,
    });
    this.env.recorder.record(row, jid);
    this.env.done(this);
  }
}
