import type { CommandModule, Argv } from 'yargs';
import { makeContext, type GlobalArgs } from '../context.js';
import { objectJson } from '../../tape/json.js';
import { formatShipStatus, shipStatus } from '../../ship/status.js';
import { isPostgresUrl } from '../../tape/pg/connect.js';
import { TapeError, ExitCode } from '../../errors.js';

export interface StatusArgs extends GlobalArgs {
  json?: boolean;
}

export function statusCommandRun(a: StatusArgs): number {
  const ctx = makeContext(a);
  if (isPostgresUrl(ctx.paths.db)) throw new TapeError('tape status shows how a local tape ships; point --db at the tape file, not at PostgreSQL', ExitCode.usage);
  const s = shipStatus(ctx.paths.state, ctx.paths.db);
  process.stdout.write(a.json ? objectJson(s) + '\n' : formatShipStatus(s));
  return 0;
}

export const statusCommand: CommandModule<GlobalArgs, StatusArgs> = {
  command: 'status',
  describe: 'Shipping state of this tape: destination, cursor, backlog, last success and error',
  builder: (y) => y.option('json', { type: 'boolean', describe: 'one JSON object on stdout' }) as unknown as Argv<StatusArgs>,
  handler: (a) => {
    process.exitCode = statusCommandRun(a);
  },
};
