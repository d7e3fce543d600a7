import type { CommandModule } from 'yargs';
import { makeContext, type GlobalArgs } from '../context.js';
import { openReader } from '../../tape/db.js';
import { aggregateReport, buildReport, reportHours, reportCsv, reportJson, reportTable, zoneOffset, type ReportBy, type ReportGroup, type ReportRow } from '../../report/report.js';
import { ExitCode, TapeError } from '../../errors.js';
import { parseWhen } from '../../time.js';
import { monthBounds } from '../../readouts/budget.js';
import { clockFrom, rowFilter } from './read.js';
import { isPostgresUrl, urlHasPassword } from '../../tape/pg/connect.js';
import { centralRollup } from '../../tape/pg/report.js';

interface ReportArgs extends GlobalArgs {
  by: ReportBy;
  group: ReportGroup;
  since?: string;
  until?: string;
  tz: string;
  json?: boolean;
  csv?: boolean;
  now?: string;
  project?: string[];
  model?: string[];
  provider?: string[];
  host?: string[];
}

export async function runReport(a: ReportArgs): Promise<number> {
  const ctx = makeContext(a);
  const now = clockFrom(a.now)();
  const since = a.since !== undefined ? parseWhen(a.since, now) : monthBounds(now).start;
  if (since === null) throw new TapeError(`--since: expected an ISO-8601 time or a duration like 7d, got "${a.since}"`, ExitCode.usage);
  const until = a.until !== undefined ? parseWhen(a.until, now) : now;
  if (until === null) throw new TapeError(`--until: expected an ISO-8601 time or a duration like 1d, got "${a.until}"`, ExitCode.usage);
  if (a.json && a.csv) throw new TapeError('choose --json or --csv, not both', ExitCode.usage);
  try {
    zoneOffset(a.tz)(now);
  } catch {
    throw new TapeError(`--tz: unknown time zone "${a.tz}" (use an IANA name like Europe/Paris, or an offset like +02:00)`, ExitCode.usage);
  }
  const print = (rows: readonly ReportRow[]) => process.stdout.write(a.json ? reportJson(rows) : a.csv ? reportCsv(rows) : reportTable(rows, a.group));
  if (isPostgresUrl(ctx.paths.db)) {
    // the organisation's tape: the central rollup, the same aggregation
    if (a.db !== undefined && urlHasPassword(a.db)) {
      process.stderr.write('tape: warning: a password in --db shows in the process list; put it in $PGPASSWORD, ~/.pgpass or $TAPE_DB\n');
    }
    const [lo, hi] = reportHours(since, until);
    print(aggregateReport(await centralRollup(ctx.paths.db, lo, hi, a.group, rowFilter(a), ctx.env), a.by, a.tz));
    return 0;
  }
  const db = openReader(ctx.paths.db);
  try {
    print(buildReport(db, since, until, a.by, a.group, a.tz, rowFilter(a)));
  } finally {
    db.close();
  }
  return 0;
}

export const reportCommand: CommandModule<GlobalArgs, ReportArgs> = {
  command: 'report',
  describe: 'Cost, calls, tokens, errors and unpriced calls by day/week/month and project/model/provider/host (local tape or --db postgres://...)',
  builder: (y) =>
    y
      .option('by', { choices: ['day', 'week', 'month'] as const, default: 'day' as const, describe: 'period' })
      .option('group', { choices: ['project', 'model', 'provider', 'host'] as const, default: 'project' as const, describe: 'one row per' })
      .option('since', { type: 'string', describe: 'from (ISO-8601 UTC, or a duration ago like 30d); default: start of this month' })
      .option('until', { type: 'string', describe: 'to, exclusive (default: now)' })
      .option('tz', { type: 'string', default: 'UTC', describe: 'time zone for period boundaries (IANA name or +HH:MM)' })
      .option('json', { type: 'boolean', describe: 'NDJSON, one row per line' })
      .option('csv', { type: 'boolean', describe: 'CSV with a header row' })
      .option('project', { type: 'string', array: true, describe: 'only these projects (* globs)' })
      .option('model', { type: 'string', array: true, describe: 'only these models (* globs)' })
      .option('provider', { type: 'string', array: true, describe: 'only these providers (* globs)' })
      .option('host', { type: 'string', array: true, describe: 'only rows written by these hosts (* globs; on a local tape this sums the rows, not the rollup)' })
      .option('now', { type: 'string', describe: 'pin the clock (ISO-8601)' }) as never,
  handler: async (a) => {
    process.exitCode = await runReport(a);
  },
};
