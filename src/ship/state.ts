/**
 * Shipping state, one small JSON file per (local tape, destination) under the state dir:
 * the cursor (last local id known committed centrally) and what `tape status` shows. Written
 * atomically (temp file, fsync, rename), and only after the central COMMIT: a crash between the
 * two re-sends rows the central key then ignores.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { TapeError, ExitCode } from '../errors.js';

export interface ShipError {
  readonly at_ms: number;
  readonly message: string;
  readonly sqlstate: string | null;
  readonly transient: boolean;
}

export interface ShipState {
  readonly version: 1;
  readonly tape: string;
  /** redacted destination, postgres://user@host:port/db */
  readonly destination: string;
  /** last local id committed centrally */
  readonly cursor: number;
  /** rows sent by this cursor file (including re-sent ones the central key ignored) */
  readonly shipped_rows: number;
  readonly last_success_ms: number | null;
  readonly last_error: ShipError | null;
  readonly updated_ms: number;
}

export function tapeIdentity(tapePath: string): string {
  try {
    return realpathSync(tapePath);
  } catch {
    return resolve(tapePath);
  }
}

export function shipDir(stateDir: string): string {
  return join(stateDir, 'ship');
}

/** The state file for one tape and one destination key (user@host:port/db, no secret). */
export function shipStatePath(stateDir: string, tapePath: string, destinationKey: string): string {
  const h = createHash('sha256').update(`${tapeIdentity(tapePath)}\u0000${destinationKey}`).digest('hex').slice(0, 20);
  return join(shipDir(stateDir), `${h}.json`);
}

export function emptyState(tapePath: string, destination: string): ShipState {
  return { version: 1, tape: tapeIdentity(tapePath), destination, cursor: 0, shipped_rows: 0, last_success_ms: null, last_error: null, updated_ms: 0 };
}

export function loadShipState(path: string, tapePath: string, destination: string): ShipState {
  if (!existsSync(path)) return emptyState(tapePath, destination);
  let raw: ShipState;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as ShipState;
  } catch {
    raw = { version: 0 } as unknown as ShipState;
  }
  if (raw.version !== 1 || !Number.isInteger(raw.cursor) || raw.cursor < 0) {
    throw new TapeError(`shipping state ${path} is unreadable; move it away to re-ship this tape from the start (the central key ignores rows it already has)`, ExitCode.failure);
  }
  return { ...emptyState(tapePath, destination), ...raw, destination };
}

export function saveShipState(path: string, state: ShipState): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(state) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Every shipping state under the state dir (for `tape status`). */
export function listShipStates(stateDir: string): ShipState[] {
  const dir = shipDir(stateDir);
  if (!existsSync(dir)) return [];
  const out: ShipState[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    try {
      out.push(JSON.parse(readFileSync(join(dir, name), 'utf8')) as ShipState);
    } catch {
      // a file being replaced right now: the next status shows it
    }
  }
  return out.sort((a, b) => a.destination.localeCompare(b.destination));
}
