import type { CommandModule } from 'yargs';
import { makeContext, type GlobalArgs } from '../context.js';
import { openReader } from '../../tape/db.js';
import { onShutdown, untilStopped } from '../lifecycle.js';
import { alertStatePath, checkOnce } from '../../alerts/watch.js';
import { ExitCode, TapeError } from '../../errors.js';
import { parseDuration } from '../../time.js';
import { clockFrom, readoutSetup } from './read.js';

interface WatchArgs extends GlobalArgs {
  every: string;
  once?: boolean;
  command?: string;
  now?: string;
  budget?: string;
}

/** Checks the readouts every --every and runs the alert command once per change of state. */
export async function runWatch(a: WatchArgs): Promise<number> {
  const ctx = makeContext(a);
  const every = parseDuration(a.every);
  if (every === null || every < 1000) throw new TapeError(`--every: expected a duration like 5s or 1m, got "${a.every}"`, ExitCode.usage);
  const command = a.command ?? ctx.config.alertCommand;
  const log = (line: string) => process.stderr.write(`tape watch: ${line}\n`);
  if (!command) log('no alert command (set "alert_command" in the config or pass --command): alerts are only printed here');
  const clock = clockFrom(a.now);
  const setup = readoutSetup(ctx, { budget: a.budget } as never);
  const opts = { statePath: alertStatePath(ctx.paths.state), command, query: setup.query, settings: setup.settings, projectBudgets: ctx.config.projectBudgetsMicros, log };
  const db = openReader(ctx.paths.db);
  onShutdown(() => {
    db.close();
  });
  await checkOnce(db, clock(), opts);
  if (a.once) return 0;
  const stop = new AbortController();
  const timer = setInterval(() => {
    checkOnce(db, clock(), opts).catch((err: Error) => log(`check failed: ${err.message}`));
  }, every);
  onShutdown(() => clearInterval(timer));
  await untilStopped(stop.signal);
  clearInterval(timer);
  return 0;
}

export const watchCommand: CommandModule<GlobalArgs, WatchArgs> = {
  command: 'watch',
  describe: 'Run the alert command once per change: variance incident, budget AHEAD, run rate diverging, new unpriced model',
  builder: (y) =>
    y
      .option('every', { type: 'string', default: '5s', describe: 'how often to check' })
      .option('once', { type: 'boolean', describe: 'check once and exit (for cron)' })
      .option('command', { type: 'string', describe: 'alert command (default config "alert_command"); gets the event JSON on stdin' })
      .option('budget', { type: 'string', describe: 'monthly budget in US dollars (overrides the config)' })
      .option('now', { type: 'string', describe: 'pin the clock (ISO-8601)' }) as never,
  handler: async (a) => {
    process.exitCode = await runWatch(a);
  },
};
