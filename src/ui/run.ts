/**
 * `tape` in a terminal: the live screen, over a local tape or the central one (`--db
 * postgres://...`). Wiring only: context, demo tape, the alternate screen (restored on exit, on
 * SIGTERM/SIGINT and on a crash), and Ink.
 */
import { createElement } from 'react';
import { render } from 'ink';
import type { ReadArgs } from '../cli/commands/read.js';
import { clockFrom, readoutSetup, rowFilter } from '../cli/commands/read.js';
import { makeContext } from '../cli/context.js';
import { startDemoTape } from '../cli/demo-tape.js';
import { onShutdown, stoppedExitCode, untilStopped } from '../cli/lifecycle.js';
import { openTapeSource, type OpenSourceOptions, type TapeSource } from '../tape/source.js';
import { isPostgresUrl, urlHasPassword } from '../tape/pg/connect.js';
import { TapeError, ExitCode } from '../errors.js';
import { App } from './components/App.js';
import { Money } from './format.js';
import { themeFromEnv } from './theme.js';
import { priceInfo } from './price-info.js';

const ENTER_ALT = '\x1b[?1049h\x1b[H';
// the alternate screen is cleared before leaving it: tmux, resized while it showed full-width
// lines, otherwise leaves a few of them behind on the primary screen
const LEAVE_ALT = '\x1b[H\x1b[2J\x1b[?25h\x1b[?1049l';

/** Enters the alternate screen; the returned function leaves it (once), however we end. */
export function alternateScreen(out: NodeJS.WriteStream): () => void {
  let done = false;
  const leave = () => {
    if (done) return;
    done = true;
    try {
      out.write(LEAVE_ALT);
    } catch {
      // the terminal is gone
    }
  };
  out.write(ENTER_ALT);
  process.once('exit', leave);
  return leave;
}

/**
 * Opens the tape before the screen: one that cannot be read (not a tape, newer schema, refused
 * login, no central schema) fails here with its one-line error. One that is not there yet (no
 * file, the server down) opens the screen anyway, which waits for it and says why.
 */
async function precheck(db: string, o: OpenSourceOptions): Promise<TapeSource | undefined> {
  try {
    return await openTapeSource(db, o);
  } catch (err) {
    if (err instanceof TapeError && (err.exitCode === ExitCode.noTape || err.exitCode === ExitCode.unavailable)) return undefined;
    throw err;
  }
}

export async function runScreen(a: ReadArgs): Promise<number> {
  let ctx = makeContext(a);
  if (a.demo) {
    process.stderr.write('tape: writing a demo tape (this month so far) and starting live traffic…\n');
    const demo = await startDemoTape(ctx, { seed: a.seed });
    onShutdown(() => demo.stop());
    ctx = makeContext({ ...a, db: demo.path });
  }
  const clock = clockFrom(a.now);
  const setup = readoutSetup(ctx, a);
  if (isPostgresUrl(ctx.paths.db) && a.db !== undefined && urlHasPassword(ctx.paths.db)) {
    process.stderr.write('tape: warning: a password in --db shows in the process list; put it in $PGPASSWORD, ~/.pgpass or $TAPE_DB\n');
  }
  const source = await precheck(ctx.paths.db, { env: ctx.env, centralPeriods: setup.centralPeriods });
  if (source) onShutdown(() => source.close());
  const money = new Money(a.currency ?? ctx.config.currency, a.fx ?? ctx.config.fx);
  const theme = themeFromEnv(process.env);
  const prices = priceInfo(ctx.prices().version, ctx.paths.state);

  const leave = alternateScreen(process.stdout);
  onShutdown(leave);
  let fatal: Error | null = null;
  const stopper = new AbortController();
  const app = render(
    createElement(App, {
      tape: {
        path: ctx.paths.db,
        source,
        env: ctx.env,
        centralPeriods: setup.centralPeriods,
        filter: rowFilter(a),
        query: setup.query,
        settings: setup.settings,
        clock,
        follow: a.now === undefined,
        onFatal: (err) => {
          fatal = err;
          stopper.abort();
        },
      },
      prices,
      money,
      theme,
      block: ctx.config.blockMicros,
      pinned: a.now !== undefined,
    }),
    { exitOnCtrlC: false, patchConsole: true, maxFps: 30 },
  );
  let stopped: Awaited<ReturnType<typeof untilStopped>> | void;
  try {
    stopped = await Promise.race([app.waitUntilExit().then(() => undefined), untilStopped(stopper.signal)]);
  } finally {
    app.unmount();
    app.cleanup();
    leave();
  }
  if (fatal) throw fatal;
  // the terminal is restored by now; a signal ends us like other Unix tools: 143 on SIGTERM
  return stoppedExitCode(stopped);
}
