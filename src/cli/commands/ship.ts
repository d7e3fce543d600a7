import type { CommandModule, Argv } from 'yargs';
import pg from 'pg';
import { makeContext, type Context, type GlobalArgs } from '../context.js';
import { onShutdown, untilStopped } from '../lifecycle.js';
import { TapeError, ExitCode } from '../../errors.js';
import { parseDuration } from '../../time.js';
import { isPostgresUrl, parsePgUrl, urlHasPassword, type PgTarget } from '../../tape/pg/connect.js';
import { classifyPgError } from '../../tape/pg/errors.js';
import { initCentral } from '../../tape/pg/schema.js';
import { ship } from '../../ship/shipper.js';
import { shipStatePath } from '../../ship/state.js';
import type { CrashPoint } from '../../ship/batch.js';
import { Progress } from '../progress.js';

export interface ShipArgs extends GlobalArgs {
  to?: string;
  init?: boolean;
  follow?: boolean;
  batch?: number;
  'retry-for'?: string;
}

/** --to, else $TAPE_SHIP_TO, else "ship_to" in the config; the URL is never printed. */
export function shipTarget(ctx: Context, to: string | undefined, warn: (s: string) => void): PgTarget {
  const raw = to ?? ctx.env.TAPE_SHIP_TO ?? ctx.config.shipTo ?? null;
  if (!raw) throw new TapeError('no destination: pass --to postgres://user@host/db, or set $TAPE_SHIP_TO or "ship_to" in the config', ExitCode.usage);
  if (!isPostgresUrl(raw)) throw new TapeError('the destination must be a postgres:// URL', ExitCode.usage);
  if (to !== undefined && urlHasPassword(to)) {
    warn('tape: warning: a password in --to shows in the process list; put it in $PGPASSWORD, ~/.pgpass, $TAPE_SHIP_TO or "ship_to" in the config\n');
  }
  return parsePgUrl(raw, ctx.env, 'tape ship');
}

async function runInit(target: PgTarget): Promise<number> {
  const c = new pg.Client(target.config);
  c.on('error', () => undefined);
  try {
    await c.connect();
    const [from, to] = await initCentral(c, target.redacted);
    const what = from === to ? 'already current' : from === 0 ? 'created' : `migrated from v${from}`;
    process.stdout.write(`central tape at ${target.redacted}: schema v${to} (${what})\n`);
    return 0;
  } catch (err) {
    if (err instanceof TapeError) throw err;
    const f = classifyPgError(err, target);
    throw new TapeError(`cannot prepare the central tape at ${target.redacted}: ${f.message}`, f.transient ? ExitCode.unavailable : ExitCode.failure);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Test-only fault injection: TAPE_TEST_SHIP_CRASH=<point> kills the shipper there, from its 2nd batch. */
function crashHook(env: Context['env']): ((p: CrashPoint, batch: number) => void) | undefined {
  const point = env.TAPE_TEST_SHIP_CRASH;
  if (!point) return undefined;
  return (p, batch) => {
    if (p === point && batch >= 2) process.kill(process.pid, 'SIGKILL');
  };
}

export async function shipCommandRun(a: ShipArgs): Promise<number> {
  const ctx = makeContext(a);
  const warn = (s: string) => process.stderr.write(s);
  const target = shipTarget(ctx, a.to, warn);
  if (a.init) return runInit(target);
  let retryForMs: number | undefined;
  if (a['retry-for'] !== undefined) {
    const ms = parseDuration(a['retry-for']);
    if (ms === null) throw new TapeError(`--retry-for: expected a duration like 30s or 5m, got "${a['retry-for']}"`, ExitCode.usage);
    retryForMs = ms;
  }
  if (a.batch !== undefined && (!Number.isInteger(a.batch) || a.batch < 1 || a.batch > 50_000)) {
    throw new TapeError('--batch: expected a whole number of rows from 1 to 50000', ExitCode.usage);
  }
  const stopper = new AbortController();
  if (a.follow) {
    void untilStopped().then(() => stopper.abort());
    onShutdown(() => stopper.abort());
  }
  const started = Date.now();
  // one-shot: a bar over the backlog there was at the start (on a terminal only); following has no end to show
  const bar = a.follow ? null : new Progress('ship', 0);
  const r = await ship({
    tapePath: ctx.paths.db,
    target,
    statePath: shipStatePath(ctx.paths.state, ctx.paths.db, target.key),
    follow: a.follow === true,
    batchRows: a.batch,
    retryForMs,
    signal: stopper.signal,
    log: (line) => warn(`tape ship: ${line}\n`),
    onPoint: crashHook(ctx.env),
    onProgress: bar ? ({ shipped, backlog }) => {
      bar.setTotal(backlog);
      bar.update(shipped, shipped);
    } : undefined,
  }).catch((err: unknown) => {
    // following (alone or inside the daemon), a permanent failure ends shipping only: say why, return its code
    bar?.abandon();
    if (!a.follow || !(err instanceof TapeError)) throw err;
    warn(`tape ship: ${err.message}\n`);
    return err.exitCode;
  });
  if (typeof r === 'number') return r;
  if (r.shipped > 0) bar?.finish(r.shipped);
  const secs = (Date.now() - started) / 1000;
  warn(`tape ship: ${r.shipped} rows sent (${r.inserted} new) to ${target.redacted} in ${secs.toFixed(1)}s; cursor ${r.cursor}\n`);
  return 0;
}

export const shipCommand: CommandModule<GlobalArgs, ShipArgs> = {
  command: 'ship',
  describe: 'Copy this tape to a central PostgreSQL table (idempotent; --follow keeps shipping)',
  builder: (y) =>
    y
      .option('to', { type: 'string', describe: 'postgres://user@host:5432/db (default $TAPE_SHIP_TO or "ship_to"; keep passwords out of flags)' })
      .option('init', { type: 'boolean', describe: 'create or migrate the central schema, then exit' })
      .option('follow', { type: 'boolean', describe: 'keep shipping new rows as they commit (until Ctrl-C)' })
      .option('batch', { type: 'number', describe: 'rows per central transaction (default 5000)' })
      .option('retry-for', { type: 'string', describe: 'one-shot: give up after transient failures lasting this long (default 2m)' }) as unknown as Argv<ShipArgs>,
  handler: async (a) => {
    process.exitCode = await shipCommandRun(a);
  },
};
