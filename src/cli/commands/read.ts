import type { CommandModule, Argv } from 'yargs';
import { makeContext, type GlobalArgs, type Context } from '../context.js';
import { openReader } from '../../tape/db.js';
import { streamTape } from '../../tape/stream.js';
import { callJson, objectJson } from '../../tape/json.js';
import { plainLine } from '../../ui/plain.js';
import { LineOut } from '../output.js';
import { onShutdown, untilStopped } from '../lifecycle.js';
import { TapeError, ExitCode } from '../../errors.js';
import { parseDuration, parseWhen } from '../../time.js';
import { dollarsToMicros } from '../../config/config.js';
import type { RowFilter } from '../../tape/filter.js';
import type { ReadoutQueryOptions } from '../../tape/queries.js';
import type { CentralPeriods } from '../../tape/pg/queries.js';
import type { ReadoutSettings } from '../../readouts/index.js';
import { startDemoTape } from '../demo-tape.js';
import { invoicePeriods } from '../../reconcile/periods.js';
import { centralInvoicePeriods } from '../../reconcile/central-periods.js';
import { isPostgresUrl } from '../../tape/pg/connect.js';
import { streamCentral } from '../central.js';

export interface ReadArgs extends GlobalArgs {
  json?: boolean;
  follow?: boolean;
  since?: string;
  until?: string;
  project?: string[];
  model?: string[];
  provider?: string[];
  host?: string[];
  readouts?: string;
  now?: string;
  budget?: string;
  window?: string;
  currency?: string;
  fx?: number;
  demo?: boolean;
  seed?: number;
}

export function readOptions<T>(y: Argv<T>) {
  return y
    .option('json', { type: 'boolean', describe: 'print calls (and readouts) as NDJSON on stdout' })
    .option('follow', { type: 'boolean', default: true, describe: 'keep printing new calls as they commit (--no-follow: print and exit)' })
    .option('since', { type: 'string', describe: 'start from this time: ISO-8601 (UTC) or a duration ago (90s, 15m, 2h, 7d)' })
    .option('until', { type: 'string', describe: 'stop at this time (implies --no-follow)' })
    .option('project', { type: 'string', array: true, describe: 'only these projects (repeatable, * globs)' })
    .option('model', { type: 'string', array: true, describe: 'only these models (repeatable, * globs)' })
    .option('provider', { type: 'string', array: true, describe: 'only these providers (repeatable, * globs)' })
    .option('host', { type: 'string', array: true, describe: 'only rows written by these hosts (repeatable, * globs)' })
    .option('readouts', { type: 'string', describe: 'with --json: interleave readouts every SECONDS (default 5), and once at the end' })
    .option('now', { type: 'string', describe: 'pin the clock for readouts (ISO-8601)' })
    .option('budget', { type: 'string', describe: 'monthly budget in US dollars (overrides the config)' })
    .option('window', { type: 'string', describe: 'ticker / window-total window: 90s, 5m, 15m, 1h' })
    .option('currency', { type: 'string', describe: 'display currency code (display only; storage stays USD)' })
    .option('fx', { type: 'number', describe: 'display currency units per US dollar' })
    .option('demo', { type: 'boolean', describe: 'read a fresh temporary demo tape with live simulated traffic' })
    .option('seed', { type: 'number', describe: 'with --demo: the simulator seed' });
}

export function rowFilter(a: { project?: string[]; model?: string[]; provider?: string[]; host?: string[] }): RowFilter {
  return { project: a.project, model: a.model, provider: a.provider, host: a.host };
}

/** The pinned clock (`--now`) or the real one. */
export function clockFrom(now: string | undefined): () => number {
  if (!now) return () => Date.now();
  const t = parseWhen(now, Date.now());
  if (t === null) throw new TapeError(`--now: expected an ISO-8601 time like 2026-12-03T18:00:00Z, got "${now}"`, ExitCode.usage);
  return () => t;
}

export function windowSeconds(ctx: Context, window: string | undefined): number {
  if (!window) return ctx.config.windowSeconds;
  const ms = parseDuration(window);
  if (ms === null || ms < 1000) throw new TapeError(`--window: expected a duration like 90s, 5m, 15m or 1h, got "${window}"`, ExitCode.usage);
  return Math.round(ms / 1000);
}

export interface ReadoutSetup {
  readonly query: ReadoutQueryOptions;
  readonly settings: ReadoutSettings;
  /** the variance band's periods over the central tape */
  readonly centralPeriods?: CentralPeriods;
}

/** The central variance band; a central schema from before the invoice tables (v1) has no bills yet. */
export const centralPeriods: CentralPeriods = (q, now, filter) =>
  centralInvoicePeriods(q, now, filter).catch((err: { code?: unknown }) => {
    if (err?.code === '42P01') return []; // undefined_table: no invoice tables yet
    throw err;
  });

export function readoutSetup(ctx: Context, a: ReadArgs): ReadoutSetup {
  return {
    ...(isPostgresUrl(ctx.paths.db) ? { centralPeriods } : {}),
    query: {
      windowSeconds: windowSeconds(ctx, a.window),
      budgetRateSeconds: ctx.config.budgetRateSeconds,
      budgetMicros: a.budget !== undefined ? dollarsToMicros(a.budget, '--budget') : ctx.config.budgetMicros,
      filter: rowFilter(a),
      periods: invoicePeriods,
      projectBudgets: ctx.config.projectBudgetsMicros,
    },
    settings: { divergeUp: ctx.config.divergeUp, divergeDown: ctx.config.divergeDown, varianceThreshold: ctx.config.varianceThreshold, topN: 3 },
  };
}

/** `tape --json` and the plain (not a terminal) mode: one line per call, in tape order. */
export async function streamCommand(a: ReadArgs, mode: 'json' | 'plain'): Promise<number> {
  let ctx = makeContext(a);
  if (a.demo) {
    const demo = await startDemoTape(ctx, { seed: a.seed });
    onShutdown(() => demo.stop());
    await demo.ready; // following starts at the end: the history must be there first
    ctx = makeContext({ ...a, db: demo.path });
  }
  const clock = clockFrom(a.now);
  const now = clock();
  const since = a.since !== undefined ? parseWhen(a.since, now) : undefined;
  if (since === null) throw new TapeError(`--since: expected an ISO-8601 time or a duration like 15m, got "${a.since}"`, ExitCode.usage);
  const until = a.until !== undefined ? parseWhen(a.until, now) : undefined;
  if (until === null) throw new TapeError(`--until: expected an ISO-8601 time or a duration like 15m, got "${a.until}"`, ExitCode.usage);
  let everyMs = 5000;
  if (a.readouts !== undefined && a.readouts !== '') {
    const s = Number(a.readouts);
    if (!Number.isFinite(s) || s <= 0) throw new TapeError(`--readouts: expected a number of seconds, got "${a.readouts}"`, ExitCode.usage);
    everyMs = Math.round(s * 1000);
  }
  const setup = readoutSetup(ctx, a);
  if (isPostgresUrl(ctx.paths.db)) {
    const readouts = mode === 'json' && a.readouts !== undefined ? { everyMs, query: setup.query, settings: setup.settings } : null;
    return streamCentral({ url: ctx.paths.db, fromFlag: a.db !== undefined, env: ctx.env, mode, filter: rowFilter(a), since, until, follow: a.follow !== false && until === undefined, clock, readouts, centralPeriods: setup.centralPeriods });
  }
  const db = openReader(ctx.paths.db);
  onShutdown(() => {
    db.close();
  });
  const follow = a.follow !== false && until === undefined;
  if (mode === 'plain') process.stderr.write(`tape: stdout is not a terminal: printing one plain line per call${follow ? ' as they arrive' : ''} (use --json for NDJSON)\n`);
  const out = new LineOut(process.stdout);
  const stopper = new AbortController();
  process.stdout.once('error', () => stopper.abort());
  await streamTape({
    db,
    path: ctx.paths.db,
    filter: rowFilter(a),
    since,
    until,
    follow,
    format: mode === 'json' ? callJson : plainLine,
    out,
    clock,
    readouts: mode === 'json' && a.readouts !== undefined ? { everyMs, query: setup.query, settings: setup.settings, format: objectJson } : null,
    stop: untilStopped(stopper.signal),
    onNotice: (t) => process.stderr.write(`tape: ${t}\n`),
  });
  return 0;
}

export const readCommand: CommandModule<GlobalArgs, ReadArgs> = {
  command: '$0',
  describe: 'Read the tape: the live screen in a terminal, NDJSON with --json, plain lines in a pipe',
  builder: (y) => readOptions(y) as unknown as Argv<ReadArgs>,
  handler: async (a) => {
    if (a.json) {
      process.exitCode = await streamCommand(a, 'json');
      return;
    }
    // the screen reads a local tape or the central one (--db postgres://...) alike
    if (process.stdout.isTTY && process.stdin.isTTY) {
      const { runScreen } = await import('../../ui/run.js');
      process.exitCode = await runScreen(a);
      return;
    }
    process.exitCode = await streamCommand(a, 'plain');
  },
};
