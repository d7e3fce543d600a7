import type { CallRow } from '../tape/row.js';
import { flagNames } from '../tape/row.js';
import { microsToUsd } from '../pricing/micros.js';

/** Strips control characters from untrusted text before it reaches a terminal. */
export function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

/** One call as one plain line: for pipes and logs when `--json` was not asked for. */
export function plainLine(r: CallRow): string {
  const cost = r.cost_micros === null ? 'unpriced' : `$${microsToUsd(r.cost_micros)}`;
  const flags = r.flags ? ` [${flagNames(r.flags).join(',')}]` : '';
  return [
    new Date(r.ts).toISOString(),
    clean(r.project),
    `${clean(r.provider)}/${clean(r.model)}`,
    `in=${r.input_tok}`,
    `out=${r.output_tok}`,
    `cached=${r.cached_tok}`,
    `${r.duration_ms}ms`,
    cost,
    String(r.status),
  ].join('  ') + flags;
}
