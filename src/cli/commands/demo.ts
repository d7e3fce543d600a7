import type { CommandModule } from 'yargs';
import { makeContext, type GlobalArgs } from '../context.js';
import { openWriter } from '../../tape/db.js';
import { TapeWriter } from '../../tape/writer.js';
import { DemoSimulator } from '../../demo/simulator.js';
import { parseDuration } from '../../time.js';
import { TapeError, ExitCode } from '../../errors.js';
import { onShutdown, untilStopped } from '../lifecycle.js';
import { Progress } from '../progress.js';
import { clockFrom } from './read.js';

interface DemoArgs extends GlobalArgs {
  rate: number;
  seed: number;
  backfill?: string;
  live: boolean;
  now?: string;
}

export async function runDemo(a: DemoArgs): Promise<number> {
  const ctx = makeContext(a);
  if (!(a.rate > 0)) throw new TapeError('--rate must be above 0', ExitCode.usage);
  const clock = clockFrom(a.now);
  const db = openWriter(ctx.paths.db);
  const writer = new TapeWriter(db, ctx.prices(), { path: ctx.paths.db, host: ctx.config.host ?? undefined });
  onShutdown(() => {
    writer.close();
    db.close();
  });
  const sim = new DemoSimulator(writer, { seed: a.seed, rate: a.rate, clock });
  if (a.backfill) {
    const ms = parseDuration(a.backfill);
    if (ms === null) throw new TapeError(`--backfill: expected a duration like 30d or 12h, got "${a.backfill}"`, ExitCode.usage);
    const to = clock();
    const bar = new Progress('backfill', ms);
    const rows = sim.backfill(to - ms, to, (p) => bar.update(p.done, p.rows));
    bar.finish(rows);
    process.stderr.write(`tape demo: wrote ${rows.toLocaleString('en-US')} calls of history to ${ctx.paths.db}\n`);
  }
  if (!a.live) return 0;
  process.stderr.write(`tape demo: writing live traffic to ${ctx.paths.db} (seed ${a.seed}, rate ${a.rate}); Ctrl-C stops\n`);
  sim.start();
  await untilStopped();
  sim.stop();
  return 0;
}

export const demoCommand: CommandModule<GlobalArgs, DemoArgs> = {
  command: 'demo',
  describe: 'Write simulated live traffic (and optionally history) to the tape',
  builder: (y) =>
    y
      .option('rate', { type: 'number', default: 1, describe: 'traffic multiplier (1 = about two calls a second in working hours)' })
      .option('seed', { type: 'number', default: 1, describe: 'same seed, same tape' })
      .option('backfill', { type: 'string', describe: 'first write this much history, e.g. 30d' })
      .option('live', { type: 'boolean', default: true, describe: 'keep writing live traffic (--no-live: backfill and exit)' })
      .option('now', { type: 'string', describe: 'pretend it is this moment (ISO-8601): history ends here' }),
  handler: async (a) => {
    process.exitCode = await runDemo(a);
  },
};
