import type { CommandModule } from 'yargs';
import { pathsCommand } from './paths.js';
import { demoCommand } from './demo.js';
import { daemonCommand } from './daemon.js';
import { shipCommand } from './ship.js';
import { statusCommand } from './status.js';
import { importCommand } from './import.js';
import { otlpCommand } from './otlp.js';
import { proxyCommand } from './proxy.js';
import { reconcileCommand } from './reconcile.js';
import { budgetCommand } from './budget.js';
import { reportCommand } from './report.js';
import { pricesCommand } from './prices.js';
import { repriceCommand } from './reprice.js';
import { watchCommand } from './watch.js';

/**
 * Every subcommand, in the order `tape --help` lists them. One entry per file in this
 * folder; the default command (reading the tape) lives in ./read.ts.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [budgetCommand, daemonCommand, demoCommand, importCommand, otlpCommand, pathsCommand, pricesCommand, proxyCommand, reconcileCommand, repriceCommand, reportCommand, shipCommand, statusCommand, watchCommand];
