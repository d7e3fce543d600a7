/** What `tape status` shows about shipping: per destination, the cursor, backlog and last outcome. */
import { existsSync } from 'node:fs';
import { openReader } from '../tape/db.js';
import { listShipStates, tapeIdentity, type ShipError } from './state.js';

export interface ShipStatusEntry {
  readonly destination: string;
  readonly cursor: number;
  /** local rows after the cursor (not yet known committed centrally); null when the tape is missing */
  readonly backlog_rows: number | null;
  readonly shipped_rows: number;
  readonly last_success: string | null;
  readonly last_success_ms: number | null;
  readonly last_error: (ShipError & { readonly at: string }) | null;
  /** "ok" (no backlog), "behind", "retrying" (transient error) or "stopped" (permanent error) */
  readonly state: 'ok' | 'behind' | 'retrying' | 'stopped' | 'never';
}

export interface ShipStatus {
  readonly type: 'ship_status';
  readonly tape: string;
  readonly destinations: readonly ShipStatusEntry[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function shipStatus(stateDir: string, tapePath: string): ShipStatus {
  const tape = tapeIdentity(tapePath);
  const states = listShipStates(stateDir).filter((s) => s.tape === tape);
  const db = states.length && existsSync(tapePath) ? openReader(tapePath) : null;
  try {
    const count = db?.prepare('SELECT count(*) FROM tape WHERE id > ?').pluck();
    return {
      type: 'ship_status',
      tape,
      destinations: states.map((s): ShipStatusEntry => {
        const backlog = count ? (count.get(s.cursor) as number) : null;
        const err = s.last_error;
        const state = err ? (err.transient ? 'retrying' : 'stopped') : s.last_success_ms === null ? 'never' : backlog ? 'behind' : 'ok';
        return {
          destination: s.destination,
          cursor: s.cursor,
          backlog_rows: backlog,
          shipped_rows: s.shipped_rows,
          last_success: iso(s.last_success_ms),
          last_success_ms: s.last_success_ms,
          last_error: err ? { ...err, at: iso(err.at_ms)! } : null,
          state,
        };
      }),
    };
  } finally {
    db?.close();
  }
}

/** Plain text for a terminal or a pipe. */
export function formatShipStatus(s: ShipStatus): string {
  if (s.destinations.length === 0) {
    return `tape ${s.tape}: not shipped anywhere yet (tape ship --to postgres://... or "ship_to" in the config)\n`;
  }
  const lines = [`tape ${s.tape}`];
  for (const d of s.destinations) {
    lines.push(`  -> ${d.destination}  ${d.state}`);
    lines.push(`     cursor ${d.cursor} (last local id committed centrally), backlog ${d.backlog_rows ?? '?'} rows, shipped ${d.shipped_rows} rows`);
    lines.push(`     last success ${d.last_success ?? 'never'}`);
    if (d.last_error) lines.push(`     last error ${d.last_error.at}${d.last_error.sqlstate ? ` SQLSTATE ${d.last_error.sqlstate}` : ''}: ${d.last_error.message}`);
  }
  return lines.join('\n') + '\n';
}
