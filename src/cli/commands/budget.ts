import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { makeContext, type GlobalArgs } from '../context.js';
import { openReader } from '../../tape/db.js';
import { dollarsToMicros, loadConfig, updateConfigFile } from '../../config/config.js';
import { budgetTable, budgetView } from '../../report/budget.js';
import { ExitCode, TapeError } from '../../errors.js';
import { parseDuration } from '../../time.js';
import { clockFrom } from './read.js';

interface BudgetArgs extends GlobalArgs {
  amount?: string;
  project?: string;
  clear?: boolean;
  json?: boolean;
  now?: string;
  rate?: string;
}

/** Sets (or clears) a budget in the config file; dollars as typed, checked before writing. */
function setBudget(configPath: string, a: BudgetArgs): string {
  if (a.amount !== undefined && a.clear) throw new TapeError('give an amount or --clear, not both', ExitCode.usage);
  const value = a.clear ? undefined : String(a.amount).trim().replace(/^\$/, '');
  if (value !== undefined && !/^\d+(\.\d{1,6})?$/.test(value)) throw new TapeError(`budget: expected US dollars like 5000 or 12.50 (no commas), got "${a.amount}"`, ExitCode.usage);
  if (value !== undefined) dollarsToMicros(value, 'budget');
  const cfg = loadConfig(configPath);
  if (a.project) {
    const current = { ...((cfg.raw.project_budgets as Record<string, unknown> | undefined) ?? {}) };
    if (value === undefined) delete current[a.project];
    else current[a.project] = value;
    updateConfigFile(configPath, { project_budgets: Object.keys(current).length ? current : undefined });
    return value === undefined ? `budget for project ${a.project} cleared` : `budget for project ${a.project} set to $${value} a month`;
  }
  updateConfigFile(configPath, { budget: value });
  return value === undefined ? 'monthly budget cleared' : `monthly budget set to $${value}`;
}

export function runBudget(a: BudgetArgs): number {
  const ctx = makeContext(a);
  if (a.amount !== undefined || a.clear) {
    process.stderr.write(`tape budget: ${setBudget(ctx.paths.config, a)} in ${ctx.paths.config}\n`);
  }
  const cfg = loadConfig(ctx.paths.config);
  let rateSeconds = cfg.budgetRateSeconds;
  if (a.rate !== undefined) {
    const ms = parseDuration(a.rate);
    if (ms === null || ms < 60_000) throw new TapeError(`--rate: expected a window like 24h, 6h or 7d, got "${a.rate}"`, ExitCode.usage);
    rateSeconds = Math.round(ms / 1000);
  }
  if (!existsSync(ctx.paths.db)) {
    if (a.amount !== undefined || a.clear) return 0;
  }
  const db = openReader(ctx.paths.db);
  try {
    const view = budgetView(db, clockFrom(a.now)(), rateSeconds, cfg.budgetMicros, cfg.projectBudgetsMicros);
    process.stdout.write(a.json ? JSON.stringify({ type: 'budgets', total: view.total, projects: view.projects }) + '\n' : budgetTable(view, rateSeconds));
  } finally {
    db.close();
  }
  return 0;
}

export const budgetCommand: CommandModule<GlobalArgs, BudgetArgs> = {
  command: 'budget [amount]',
  describe: 'Show the monthly budgets and their gauges; set one: tape budget 5000 [--project P]',
  builder: (y) =>
    y
      .positional('amount', { type: 'string', describe: 'monthly budget in US dollars to set (e.g. 5000 or 12.50)' })
      .option('project', { type: 'string', describe: 'set or clear the budget of this project instead of the whole tape' })
      .option('clear', { type: 'boolean', describe: 'remove the budget' })
      .option('rate', { type: 'string', describe: 'trailing window for the projection (default config budget_rate_seconds, 24h)' })
      .option('json', { type: 'boolean', describe: 'print one JSON object' })
      .option('now', { type: 'string', describe: 'pin the clock (ISO-8601)' }) as never,
  handler: (a) => {
    process.exitCode = runBudget(a);
  },
};
