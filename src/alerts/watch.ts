import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Db } from '../tape/db.js';
import { TapeQueries, type ReadoutQueryOptions } from '../tape/queries.js';
import { computeReadouts, monthBounds, type ReadoutSettings } from '../readouts/index.js';
import { budgetView } from '../report/budget.js';
import { changes, statesOf, type AlertEvent, type States } from './events.js';

/** Where `tape watch` remembers the states it has announced, so a restart does not fire again. */
export function alertStatePath(stateDir: string): string {
  return join(stateDir, 'alerts.json');
}

export function loadStates(path: string): States | null {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { states?: States };
    return raw.states && typeof raw.states === 'object' ? raw.states : null;
  } catch {
    return null;
  }
}

function saveStates(path: string, states: States, now: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ updated_at: new Date(now).toISOString(), states }, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/** Runs the alert command with one event as JSON on stdin; resolves with its exit code (null: killed). */
export function runAlertCommand(command: string, event: AlertEvent, timeoutMs = 60_000): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'inherit', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(127);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify(event) + '\n');
  });
}

export interface WatchOptions {
  readonly statePath: string;
  readonly command: string | null;
  readonly query: ReadoutQueryOptions;
  readonly settings: ReadoutSettings;
  readonly projectBudgets: Readonly<Record<string, number>>;
  readonly run?: (command: string, event: AlertEvent) => Promise<number | null>;
  readonly log?: (line: string) => void;
}

/** One check: readouts now, states, events for what changed, the command run once per event. */
export async function checkOnce(db: Db, now: number, o: WatchOptions): Promise<AlertEvent[]> {
  const readouts = computeReadouts(new TapeQueries(db, o.query.filter).readoutInputs(now, o.query), o.settings);
  const projects = budgetView(db, now, o.query.budgetRateSeconds, null, o.projectBudgets).projects;
  const month = monthBounds(now);
  const unpriced = db.prepare("SELECT DISTINCT provider || '/' || model FROM rollup_hour WHERE hour >= ? AND unpriced_calls > 0 ORDER BY 1").pluck().all(Math.floor(month.start / 3_600_000) * 3_600_000) as string[];
  const obs = { readouts, projectBudgets: projects, unpricedModels: unpriced, divergeUp: o.settings.divergeUp, divergeDown: o.settings.divergeDown };
  const prev = loadStates(o.statePath);
  const next = statesOf(obs);
  const events = changes(prev, next, obs, now);
  const saved: States = { ...(prev ?? {}) };
  for (const [k, v] of Object.entries(next)) if (!(k in saved) && (k.startsWith('unpriced:') && prev === null)) saved[k] = v;
  const run = o.run ?? runAlertCommand;
  for (const e of events) {
    if (o.command) {
      const code = await run(o.command, e);
      if (code !== 0) {
        o.log?.(`alert command failed (exit ${code ?? 'killed'}) for ${e.key}; it will be retried at the next check`);
        continue;
      }
    }
    o.log?.(e.message);
    saved[e.key] = e.state;
  }
  // keys that went back to ok without an event (never announced) are remembered as ok
  for (const [k, v] of Object.entries(next)) if (v === 'ok' && saved[k] === undefined) saved[k] = v;
  saveStates(o.statePath, saved, now);
  return events;
}
