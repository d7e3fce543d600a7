import { readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { TapeError, ExitCode } from '../errors.js';

/**
 * The config file ($XDG_CONFIG_HOME/tape/config.json). Every field also has a flag.
 * Money is entered in US dollars (as people think of budgets) and held as micro-USD.
 */
export interface TapeConfig {
  /** monthly budget for the whole tape, micro-USD */
  readonly budgetMicros: number | null;
  /** monthly budgets per project, micro-USD */
  readonly projectBudgetsMicros: Readonly<Record<string, number>>;
  /** display currency code, e.g. "USD", "EUR" */
  readonly currency: string;
  /** display units per US dollar */
  readonly fx: number;
  /** run-rate divergence thresholds: 60 s rate above `up`x or below `down`x the 15 min rate */
  readonly divergeUp: number;
  readonly divergeDown: number;
  /** trailing window for the budget projection, seconds */
  readonly budgetRateSeconds: number;
  /** variance band threshold as a fraction (0.005 = 0.5%) */
  readonly varianceThreshold: number;
  /** ticker window, seconds */
  readonly windowSeconds: number;
  /** "block print" cost thresholds, micro-USD (two tiers) */
  readonly blockMicros: readonly [number, number];
  /** upstream base URL per provider for the proxy */
  readonly upstreams: Readonly<Record<string, string>>;
  /** project for calls that name none */
  readonly defaultProject: string;
  /** host name written on rows */
  readonly host: string | null;
  /** path of the price overrides file */
  readonly priceOverrides: string | null;
  /** command run with an alert event as JSON on stdin */
  readonly alertCommand: string | null;
  /** PostgreSQL URL for `tape ship` (never logged) */
  readonly shipTo: string | null;
  /** the raw object, for commands that rewrite the file */
  readonly raw: Readonly<Record<string, unknown>>;
}

export const DEFAULT_CONFIG: TapeConfig = {
  budgetMicros: null,
  projectBudgetsMicros: {},
  currency: 'USD',
  fx: 1,
  divergeUp: 1.5,
  divergeDown: 0.5,
  budgetRateSeconds: 24 * 3600,
  varianceThreshold: 0.005,
  windowSeconds: 90,
  blockMicros: [100_000, 1_000_000],
  upstreams: {},
  defaultProject: 'default',
  host: null,
  priceOverrides: null,
  alertCommand: null,
  shipTo: null,
  raw: {},
};

/** Dollars (number or decimal string) to integer micro-USD, without binary floating point. */
export function dollarsToMicros(value: unknown, what: string): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const m = /^(\d+)(?:\.(\d{0,6}))?$/.exec(text.replace(/^\$/, '').replace(/,/g, ''));
  if (!m) throw new TapeError(`${what}: expected an amount in US dollars like 5000 or 12.50, got ${JSON.stringify(value)}`, ExitCode.usage);
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0'));
}

function num(raw: Record<string, unknown>, key: string, fallback: number, file: string, min = 0): number {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new TapeError(`${file}: "${key}" must be a number ≥ ${min}; fix the config file or remove the field`, ExitCode.usage);
  }
  return v;
}

function str(raw: Record<string, unknown>, key: string, file: string): string | null {
  const v = raw[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new TapeError(`${file}: "${key}" must be a string`, ExitCode.usage);
  return v;
}

function strMap(raw: Record<string, unknown>, key: string, file: string): Record<string, string> {
  const v = raw[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new TapeError(`${file}: "${key}" must be an object`, ExitCode.usage);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== 'string') throw new TapeError(`${file}: "${key}.${k}" must be a string`, ExitCode.usage);
    out[k] = val;
  }
  return out;
}

export function parseConfig(raw: Record<string, unknown>, file = 'config'): TapeConfig {
  const budget = raw.budget === undefined || raw.budget === null ? null : dollarsToMicros(raw.budget, `${file}: "budget"`);
  const projectBudgets: Record<string, number> = {};
  const pb = raw.project_budgets;
  if (pb !== undefined && pb !== null) {
    if (typeof pb !== 'object' || Array.isArray(pb)) throw new TapeError(`${file}: "project_budgets" must be an object of dollars`, ExitCode.usage);
    for (const [k, v] of Object.entries(pb as Record<string, unknown>)) projectBudgets[k] = dollarsToMicros(v, `${file}: "project_budgets.${k}"`);
  }
  const block = raw.block_usd;
  let blockMicros = DEFAULT_CONFIG.blockMicros;
  if (block !== undefined) {
    if (!Array.isArray(block) || block.length !== 2) throw new TapeError(`${file}: "block_usd" must be two dollar amounts, e.g. [0.10, 1]`, ExitCode.usage);
    blockMicros = [dollarsToMicros(block[0], `${file}: "block_usd[0]"`), dollarsToMicros(block[1], `${file}: "block_usd[1]"`)];
  }
  return {
    budgetMicros: budget,
    projectBudgetsMicros: projectBudgets,
    currency: (str(raw, 'currency', file) ?? DEFAULT_CONFIG.currency).toUpperCase(),
    fx: num(raw, 'fx', DEFAULT_CONFIG.fx, file, Number.MIN_VALUE),
    divergeUp: num(raw, 'diverge_up', DEFAULT_CONFIG.divergeUp, file),
    divergeDown: num(raw, 'diverge_down', DEFAULT_CONFIG.divergeDown, file),
    budgetRateSeconds: num(raw, 'budget_rate_seconds', DEFAULT_CONFIG.budgetRateSeconds, file, 60),
    varianceThreshold: num(raw, 'variance_threshold', DEFAULT_CONFIG.varianceThreshold, file),
    windowSeconds: num(raw, 'window_seconds', DEFAULT_CONFIG.windowSeconds, file, 1),
    blockMicros,
    upstreams: strMap(raw, 'upstreams', file),
    defaultProject: str(raw, 'default_project', file) ?? DEFAULT_CONFIG.defaultProject,
    host: str(raw, 'host', file),
    priceOverrides: str(raw, 'price_overrides', file),
    alertCommand: str(raw, 'alert_command', file),
    shipTo: str(raw, 'ship_to', file),
    raw,
  };
}

/** Reads the config file; a missing file is the default config, a broken one is an error. */
export function loadConfig(path: string): TapeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_CONFIG;
    throw new TapeError(`cannot read config ${path}: ${(err as Error).message}`, ExitCode.usage);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TapeError(`config ${path} is not valid JSON (${(err as Error).message}); fix it or move it away`, ExitCode.usage);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TapeError(`config ${path} must hold a JSON object`, ExitCode.usage);
  }
  return parseConfig(raw as Record<string, unknown>, path);
}

/** Rewrites fields of the config file atomically (write + rename), keeping unknown fields. */
export function updateConfigFile(path: string, patch: Record<string, unknown>): void {
  const current = loadConfig(path).raw;
  const next: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete next[k];
    else next[k] = v;
  }
  parseConfig(next, path);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}
