import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { TapeError, ExitCode } from '../errors.js';
import { commands } from './commands/index.js';
import { readCommand } from './commands/read.js';
import { runShutdown } from './lifecycle.js';
import { redactArgs } from '../tape/pg/connect.js';

/** Fixed width for help, so `--help` output is stable (and tested). */
const HELP_WIDTH = 100;

export function buildParser(argv: string[]) {
  let y = yargs(argv)
    .scriptName('tape')
    .usage('tape: a live tape of every LLM API call, self-priced\n\nUsage: $0 [command] [options]')
    .option('db', { type: 'string', describe: 'tape file, or postgres://user@host/db for the central tape (default $TAPE_DB or $XDG_DATA_HOME/tape/tape.db)', global: true })
    .option('config', { type: 'string', describe: 'config file (default $XDG_CONFIG_HOME/tape/config.json)', global: true })
    .command(readCommand);
  for (const c of commands) y = y.command(c);
  return y
    .strict()
    .recommendCommands()
    .wrap(HELP_WIDTH)
    .help()
    .alias('h', 'help')
    .version()
    .epilogue('Docs and the JSON contract: README.md. Exit codes: 0 ok, 1 failure, 2 usage, 3 variance beyond threshold, 4 no tape, 5 foreign tape, 6 tape not writable, 7 corrupt tape, 8 bad input, 9 service unavailable.')
    .fail((msg, err) => {
      if (err) throw err;
      throw new TapeError(`${msg} (see tape --help)`, ExitCode.usage);
    });
}

function printError(err: unknown): number {
  if (err instanceof TapeError) {
    process.stderr.write(`tape: ${err.message}\n`);
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EPIPE') return 0;
  process.stderr.write(`tape: unexpected error: ${e?.stack ?? String(err)}\n`);
  return ExitCode.internal;
}

export async function main(argv: string[]): Promise<number> {
  // a password in a postgres:// flag leaves the process list (ps, /proc/PID/cmdline) at once
  const hidden = redactArgs(argv);
  if (hidden) process.title = ['tape', ...hidden].join(' ');
  // a reader that stops reading (`tape --json | head -1`) ends us quietly
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') {
      void runShutdown().finally(() => process.exit(0));
    }
  });
  try {
    await buildParser(argv).parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return printError(err);
  } finally {
    await runShutdown();
  }
}

const code = await main(hideBin(process.argv));
process.exitCode = code;
