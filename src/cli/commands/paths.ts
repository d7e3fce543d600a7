import type { CommandModule } from 'yargs';
import { makeContext, type GlobalArgs } from '../context.js';
import { priceDataPath } from '../../pricing/load.js';

export function pathsReport(args: GlobalArgs): Record<string, string> {
  const ctx = makeContext(args);
  return {
    tape: ctx.paths.db,
    config: ctx.paths.config,
    state: ctx.paths.state,
    prices: priceDataPath(ctx.paths.state),
    overrides: ctx.config.priceOverrides ?? '(none)',
  };
}

export const pathsCommand: CommandModule<GlobalArgs, GlobalArgs & { json?: boolean }> = {
  command: 'paths',
  describe: 'Print where the tape, config and state live',
  builder: (y) => y.option('json', { type: 'boolean', describe: 'print as one JSON object' }),
  handler: (argv) => {
    const report = pathsReport(argv);
    if (argv.json) process.stdout.write(JSON.stringify(report) + '\n');
    else for (const [k, v] of Object.entries(report)) process.stdout.write(`${k.padEnd(10)}${v}\n`);
  },
};
