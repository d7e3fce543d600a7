import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openWriter } from '../tape/db.js';
import { TapeWriter } from '../tape/writer.js';
import type { PriceBook } from '../pricing/price-book.js';
import { TapeError, ExitCode } from '../errors.js';
import { Journal, journalPathFor, readJournal } from './journal.js';
import { Recorder, type OnTapeError } from './recorder.js';
import { ProxyCall, sendError, type CallEnv } from './call.js';
import { allowedHosts, isLoopback, parseTarget, validProject, type Upstream } from './route.js';

export interface ProxyOptions {
  /** the tape file */
  readonly dbPath: string;
  readonly prices: PriceBook;
  /** where the journal lives (the state dir) */
  readonly stateDir: string;
  /** resolved upstream per provider (see resolveUpstreams) */
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly defaultProject: string;
  /** a writer the caller owns (tests, `tape daemon`); else one is opened on dbPath */
  readonly writer?: TapeWriter;
  readonly port?: number;
  readonly listen?: string;
  /** required to listen on a non-loopback address */
  readonly listenAny?: boolean;
  /** extra Host header names accepted (besides 127.0.0.1, localhost, [::1]) */
  readonly allowHosts?: readonly string[];
  /** host written on rows */
  readonly host?: string;
  readonly onTapeError?: OnTapeError;
  readonly minFreeBytes?: number;
  /** a client must send its request head within this time, ms */
  readonly headersTimeoutMs?: number;
  /** on close, how long streams in flight may take to finish, ms */
  readonly drainTimeoutMs?: number;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
  /** SQLite synchronous mode for a tape the proxy opens itself (default normal) */
  readonly sync?: 'normal' | 'full';
}

export interface RunningProxy {
  readonly port: number;
  /** calls recovered from the previous run's journal as outcome_unknown rows */
  readonly recovered: number;
  /** stops accepting, drains calls in flight, writes their rows */
  close(): Promise<void>;
}

/**
 * Calls that are not model calls are forwarded without a row: reads (GET, HEAD...), token
 * counting (`count_tokens`, `countTokens`, `responses/input_tokens`), moderation (free),
 * cancelling a response, and file, upload, vector store, fine-tuning and batch management
 * (batches, Gemini batch jobs included, and fine-tuning jobs are billed when they run, not
 * through this proxy). Any other POST gets a row: a call of a kind
 * the adapters do not know is recorded (flagged usage_missing), never silently missed.
 */
const NOT_BILLED = /count_?tokens|\/responses\/input_tokens(?:$|\?)|\/(?:batches|files|uploads|moderations|vector_stores|fine_tuning)(?:\/|$|\?)|\/cancel(?:$|\?)|:(?:batchGenerateContent|asyncBatchEmbedContent)(?:$|\?)/i;

export function billable(method: string | undefined, providerPath: string): boolean {
  return method === 'POST' && !NOT_BILLED.test(providerPath);
}

function recoverJournal(journal: Journal, writer: TapeWriter, priceVersion: string): number {
  const orphans = readJournal(journal.path);
  if (orphans.length > 0) {
    try {
      writer.appendBatch(Recorder.orphanRows(orphans, priceVersion));
    } catch (err) {
      throw new TapeError(`${(err as Error).message} (${orphans.length} unfinished calls from the last run are kept in ${journal.path})`, ExitCode.unwritable);
    }
  }
  journal.compact();
  return orphans.length;
}

/** The tape side of a running proxy: writer, journal (after recovery) and recorder. */
interface Tape {
  readonly writer: TapeWriter;
  readonly journal: Journal;
  readonly recorder: Recorder;
  readonly recovered: number;
  /** closes what the proxy opened itself */
  close(): void;
}

/**
 * How long a commit waits for another process's write lock (an import, a second writer). The
 * wait blocks the event loop, so every stream in flight: short, and while the lock lasts the
 * rows wait in memory and the journal, and new calls are refused until a retry commits.
 */
const BUSY_TIMEOUT_MS = 250;

function openTape(o: ProxyOptions, log: (line: string) => void): Tape {
  const ownDb = o.writer ? null : openWriter(o.dbPath, { busyTimeoutMs: BUSY_TIMEOUT_MS });
  // A commit that fsyncs (synchronous=FULL) blocks the event loop for 1-15 ms on this kind of
  // disk, in the path of every stream. NORMAL in WAL mode keeps every commit across a crash of
  // the process (kill -9); only an OS crash or power loss can lose the last commits.
  if (ownDb && (o.sync ?? 'normal') === 'normal') ownDb.pragma('synchronous = NORMAL');
  const writer = o.writer ?? new TapeWriter(ownDb!, o.prices, { path: o.dbPath, host: o.host });
  let journal: Journal | null = null;
  try {
    journal = new Journal(journalPathFor(o.stateDir, o.dbPath));
    const recovered = recoverJournal(journal, writer, o.prices.version);
    const recorder = new Recorder({ writer, journal, dbPath: o.dbPath, onTapeError: o.onTapeError ?? 'refuse', minFreeBytes: o.minFreeBytes ?? 64 << 20, log });
    const j = journal;
    return {
      writer, journal: j, recorder, recovered,
      close() {
        recorder.close();
        j.close();
        if (ownDb) {
          writer.close();
          ownDb.close();
        }
      },
    };
  } catch (err) {
    journal?.close();
    ownDb?.close();
    throw err;
  }
}

/** One listening proxy: admission checks in front of ProxyCall, and the drain on close. */
class ProxyServer {
  readonly server: http.Server;
  private readonly active = new Set<ProxyCall>();
  private idle: (() => void)[] = [];
  private closing = false;
  private hosts = new Set<string>();
  private readonly env: CallEnv;

  constructor(private readonly o: ProxyOptions, private readonly tape: Tape, private readonly log: (line: string) => void) {
    this.env = {
      upstreams: o.upstreams,
      agents: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) },
      journal: tape.journal,
      recorder: tape.recorder,
      priceVersion: o.prices.version,
      host: o.host,
      now: o.now ?? Date.now,
      done: (c) => {
        this.active.delete(c);
        if (this.active.size === 0) for (const w of this.idle.splice(0)) w();
      },
    };
    const headersTimeout = o.headersTimeoutMs ?? 30_000;
    // the interval at which Node checks for clients that are late with their headers
    this.server = http.createServer({ connectionsCheckingInterval: Math.max(50, Math.min(1000, headersTimeout / 4)) }, (q, r) => this.handle(q, r));
    this.server.headersTimeout = headersTimeout;
    this.server.requestTimeout = 0; // long uploads and long generations are not cut
    this.server.timeout = 0;
    // idle client connections stay open a while (like common load balancers), so clients rarely
    // race a server-side close when they reuse one
    this.server.keepAliveTimeout = 65_000;
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      else socket.destroy();
    });
  }

  async listen(listen: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new TapeError(err.code === 'EADDRINUSE' ? `port ${this.o.port ?? 8787} on ${listen} is in use; stop what holds it or pass --port` : `cannot listen on ${listen}: ${err.message}`, ExitCode.unavailable));
      });
      this.server.listen(this.o.port ?? 8787, listen, () => resolve());
    });
    const port = (this.server.address() as AddressInfo).port;
    this.hosts = allowedHosts(port, this.o.allowHosts ?? []);
    return port;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const o = this.o;
    if (this.closing) {
      res.setHeader('connection', 'close');
      return sendError(res, 503, 'proxy_stopping', 'the proxy is shutting down; the call was not sent', { 'retry-after': '1' });
    }
    if ((!o.listenAny || (o.allowHosts?.length ?? 0) > 0) && !this.hosts.has((req.headers.host ?? '').toLowerCase())) {
      return sendError(res, 421, 'misdirected_request', 'unexpected Host header (DNS rebinding protection); call 127.0.0.1 or localhost, or add --allow-host');
    }
    const target = parseTarget(req.url ?? '', o.upstreams);
    if ('status' in target) return sendError(res, target.status, 'invalid_request', target.message);
    const fromHeader = req.headers['x-tape-project'];
    const headerProject = Array.isArray(fromHeader) ? fromHeader[0] : fromHeader;
    if (headerProject !== undefined && !validProject(headerProject)) return sendError(res, 400, 'invalid_request', 'x-tape-project must be 1-64 letters, digits or ._:@+-');
    const recorded = billable(req.method, target.providerPath);
    if (recorded) {
      const admit = this.tape.recorder.admit();
      if (!admit.ok) return sendError(res, 503, 'tape_unavailable', `the tape cannot be written (${admit.why}); the call was not sent`, { 'retry-after': '5' });
    }
    const call = new ProxyCall(this.env, req, res, target, target.project ?? headerProject ?? o.defaultProject, recorded);
    try {
      call.start();
    } catch (err) {
      return sendError(res, 503, 'tape_unavailable', `the call journal cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'}); the call was not sent`, { 'retry-after': '5' });
    }
    this.active.add(call);
  }

  /** Stops accepting, lets calls in flight finish (up to the drain timeout), writes their rows. */
  async close(): Promise<void> {
    this.closing = true;
    this.server.close();
    this.server.closeIdleConnections();
    if (this.active.size > 0) {
      const drained = new Promise<void>((r) => this.idle.push(r));
      const deadline = new Promise<void>((r) => setTimeout(r, this.o.drainTimeoutMs ?? 60_000).unref());
      await Promise.race([drained, deadline]);
      for (const c of [...this.active]) c.abort();
    }
    this.server.closeAllConnections();
    await this.tape.recorder.drain();
    if (this.tape.recorder.unsaved > 0) this.log(`tape proxy: ${this.tape.recorder.unsaved} rows could not be written; they stay in the journal and are recovered on the next start`);
    this.env.agents.http.destroy();
    this.env.agents.https.destroy();
  }
}

export async function startProxy(o: ProxyOptions): Promise<RunningProxy> {
  const listen = o.listen ?? '127.0.0.1';
  if (!isLoopback(listen) && !o.listenAny) {
    throw new TapeError(`refusing to listen on ${listen}: the proxy carries API keys; pass --listen-any-i-know-what-i-am-doing to expose it beyond this machine`, ExitCode.usage);
  }
  const log = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const tape = openTape(o, log);
  const proxy = new ProxyServer(o, tape, log);
  let port: number;
  try {
    port = await proxy.listen(listen);
  } catch (err) {
    tape.close();
    throw err;
  }
  let closed: Promise<void> | null = null;
  const close = () =>
    (closed ??= proxy.close().finally(() => tape.close()));
  return { port, recovered: tape.recovered, close };
}
