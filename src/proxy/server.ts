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

/** Paths that do not bill (listings, token counts) are forwarded without a row. */
function billable(method: string | undefined, providerPath: string): boolean {
  return method === 'POST' && !/count_?tokens/i.test(providerPath);
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

export async function startProxy(o: ProxyOptions): Promise<RunningProxy> {
  const listen = o.listen ?? '127.0.0.1';
  if (!isLoopback(listen) && !o.listenAny) {
    throw new TapeError(`refusing to listen on ${listen}: the proxy carries API keys; pass --listen-any-i-know-what-i-am-doing to expose it beyond this machine`, ExitCode.usage);
  }
  const log = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const ownDb = o.writer ? null : openWriter(o.dbPath);
  // A commit that fsyncs (synchronous=FULL) blocks the event loop for 1-15 ms on this kind of
  // disk, in the path of every stream. NORMAL in WAL mode keeps every commit across a crash of
  // the process (kill -9); only an OS crash or power loss can lose the last commits.
  if (ownDb && (o.sync ?? 'normal') === 'normal') ownDb.pragma('synchronous = NORMAL');
  const writer = o.writer ?? new TapeWriter(ownDb!, o.prices, { path: o.dbPath, host: o.host });
  const journal = new Journal(journalPathFor(o.stateDir, o.dbPath));
  let recovered: number;
  try {
    recovered = recoverJournal(journal, writer, o.prices.version);
  } catch (err) {
    journal.close();
    ownDb?.close();
    throw err;
  }
  const recorder = new Recorder({ writer, journal, dbPath: o.dbPath, onTapeError: o.onTapeError ?? 'refuse', minFreeBytes: o.minFreeBytes ?? 64 << 20, log });
  const active = new Set<ProxyCall>();
  const idle: (() => void)[] = [];
  const env: CallEnv = {
    upstreams: o.upstreams,
    agents: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) },
    journal,
    recorder,
    priceVersion: o.prices.version,
    host: o.host,
    now: o.now ?? Date.now,
    done: (c) => {
      active.delete(c);
      if (active.size === 0) for (const w of idle.splice(0)) w();
    },
  };
  let closing = false;
  let hosts = new Set<string>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (closing) {
      res.setHeader('connection', 'close');
      return sendError(res, 503, 'proxy_stopping', 'the proxy is shutting down; the call was not sent', { 'retry-after': '1' });
    }
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!o.listenAny || (o.allowHosts?.length ?? 0) > 0) {
      if (!hosts.has(hostHeader)) return sendError(res, 421, 'misdirected_request', 'unexpected Host header (DNS rebinding protection); call 127.0.0.1 or localhost, or add --allow-host');
    }
    const target = parseTarget(req.url ?? '', o.upstreams);
    if ('status' in target) return sendError(res, target.status, 'invalid_request', target.message);
    const fromHeader = req.headers['x-tape-project'];
    const headerProject = Array.isArray(fromHeader) ? fromHeader[0] : fromHeader;
    if (headerProject !== undefined && !validProject(headerProject)) return sendError(res, 400, 'invalid_request', 'x-tape-project must be 1-64 letters, digits or ._:@+-');
    const project = target.project ?? headerProject ?? o.defaultProject;
    const recorded = billable(req.method, target.providerPath);
    if (recorded) {
      const admit = recorder.admit();
      if (!admit.ok) return sendError(res, 503, 'tape_unavailable', `the tape cannot be written (${admit.why}); the call was not sent`, { 'retry-after': '5' });
    }
    const call = new ProxyCall(env, req, res, target, project, recorded);
    try {
      call.start();
    } catch (err) {
      return sendError(res, 503, 'tape_unavailable', `the call journal cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'}); the call was not sent`, { 'retry-after': '5' });
    }
    active.add(call);
  };

  const headersTimeout = o.headersTimeoutMs ?? 30_000;
  // the interval at which Node checks for clients that are late with their headers
  const server = http.createServer({ connectionsCheckingInterval: Math.max(50, Math.min(1000, headersTimeout / 4)) }, handle);
  server.headersTimeout = headersTimeout;
  server.requestTimeout = 0; // long uploads and long generations are not cut
  server.timeout = 0;
  // idle client connections stay open a while (like common load balancers), so clients rarely
  // race a server-side close when they reuse one
  server.keepAliveTimeout = 65_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      journal.close();
      ownDb?.close();
      recorder.close();
      reject(new TapeError(err.code === 'EADDRINUSE' ? `port ${o.port ?? 8787} on ${listen} is in use; stop what holds it or pass --port` : `cannot listen on ${listen}: ${err.message}`, ExitCode.unavailable));
    });
    server.listen(o.port ?? 8787, listen, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(port, o.allowHosts ?? []);

  let closed: Promise<void> | null = null;
  const close = () =>
    (closed ??= (async () => {
      closing = true;
      server.close();
      server.closeIdleConnections();
      if (active.size > 0) {
        const drained = new Promise<void>((r) => idle.push(r));
        const deadline = new Promise<void>((r) => setTimeout(r, o.drainTimeoutMs ?? 60_000).unref());
        await Promise.race([drained, deadline]);
        for (const c of [...active]) c.abort();
      }
      server.closeAllConnections();
      await recorder.drain();
      recorder.close();
      if (recorder.unsaved > 0) log(`tape proxy: ${recorder.unsaved} rows could not be written; they stay in the journal and are recovered on the next start`);
      journal.close();
      env.agents.http.destroy();
      env.agents.https.destroy();
      if (ownDb) {
        writer.close();
        ownDb.close();
      }
    })());
  return { port, recovered, close };
}
