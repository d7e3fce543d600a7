import React from 'react';
import type { CallRow } from '../../tape/row.js';
import { flagNames } from '../../tape/row.js';
import { microsToUsd } from '../../pricing/micros.js';
import { clean } from '../plain.js';
import { fit, fmtIso, fmtTime, type Money, type TimeZoneMode } from '../format.js';
import { familyOf, FAMILY_LETTER, type Theme } from '../theme.js';
import { Lines } from './Lines.js';

export interface CallDetailProps {
  readonly row: CallRow;
  readonly width: number;
  readonly height: number;
  readonly tz: TimeZoneMode;
  readonly money: Money;
  readonly theme: Theme;
}

/** Every field of one call, the price version and the request id. */
export function detailFields(r: CallRow, tz: TimeZoneMode, money: Money): [string, string][] {
  const fam = familyOf(r.model);
  return [
    ['id', String(r.id)],
    ['ts', `${fmtIso(r.ts)}${tz === 'local' ? `  (${fmtTime(r.ts, 'local')} local)` : ''}  ${r.ts}`],
    ['host', clean(r.host)],
    ['project', clean(r.project)],
    ['provider', clean(r.provider)],
    ['model', `${clean(r.model)}  (${FAMILY_LETTER[fam]} ${fam})`],
    ['input_tok', `${r.input_tok} (all input: uncached + cache reads + cache writes)`],
    ['output_tok', String(r.output_tok)],
    ['cached_tok', `${r.cached_tok} (cache reads)`],
    ['cache_write_tok', String(r.cache_write_tok)],
    ['cache_write_1h_tok', String(r.cache_write_1h_tok)],
    ['duration_ms', String(r.duration_ms)],
    ['cost', r.cost_micros === null ? 'unpriced (no price for this model: never counted as $0)' : `${money.cost(r.cost_micros)}  (${r.cost_micros} micro-USD${money.currency === 'USD' && money.fx === 1 ? '' : `, $${microsToUsd(r.cost_micros)}`})`],
    ['price_version', clean(r.price_version)],
    ['provider_cost', r.provider_cost_micros === null ? '–' : `$${microsToUsd(r.provider_cost_micros)}`],
    ['status', String(r.status)],
    ['flags', r.flags ? flagNames(r.flags).join(', ') : 'none'],
    ['request_id', r.request_id === null ? '–' : clean(r.request_id)],
    ['source', clean(r.source)],
  ];
}

export function CallDetail({ row, width, height, tz, money, theme }: CallDetailProps) {
  const fields = detailFields(row, tz, money);
  const lines = [theme.title(`CALL ${row.id}`) + theme.dim('  (Esc or Enter: back)')];
  for (const [k, v] of fields) {
    const value = fit(v, Math.max(4, width - 21));
    const styled = k === 'model' ? theme.model(familyOf(row.model))(value) : k === 'status' && row.status >= 400 ? (row.status >= 500 ? theme.error(value) : theme.warn(value)) : value;
    lines.push(`${theme.dim(k.padEnd(20))} ${styled}`);
  }
  while (lines.length < height) lines.push('');
  return <Lines lines={lines.slice(0, height)} width={width} />;
}
