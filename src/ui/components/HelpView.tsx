import React from 'react';
import { KEY_TABLE, labelOf } from '../keys.js';
import { fit, type Money } from '../format.js';
import { FAMILIES, FAMILY_LETTER, type Theme } from '../theme.js';
import { Lines } from './Lines.js';

export interface HelpProps {
  readonly width: number;
  readonly height: number;
  readonly block: readonly [number, number];
  readonly money: Money;
  readonly theme: Theme;
}

/** Every key (from the key table) and what the marks on screen mean; 80x24 shows it all. */
export function HelpView({ width, height, block, money, theme }: HelpProps) {
  const lines = [theme.title('KEYS') + theme.dim('  (? or Esc: back)')];
  const entries: { keys: string; help: string }[] = [];
  const seen = new Set<string>();
  for (const d of KEY_TABLE) {
    const id = `${d.keys}:${d.action}`;
    if (seen.has(id) || d.modes.includes('filter') && !d.modes.includes('live')) continue;
    seen.add(id);
    const last = entries[entries.length - 1];
    if (d.helpWithPrevious && last) last.keys += ` ${d.keys}`;
    else entries.push({ keys: d.keys, help: d.help || labelOf(d, 'live') });
  }
  for (const e of entries) lines.push(`${theme.key(e.keys.padEnd(9))} ${fit(e.help, width - 11)}`);
  lines.push('');
  lines.push(theme.title('MARKS'));
  lines.push(FAMILIES.map((f) => theme.model(f)(`${FAMILY_LETTER[f]} ${f}`)).join('  ') + theme.dim('  (ticker, print)'));
  lines.push(fit(`$ a block print: a call of ${money.short(block[0])} or more;  # one of ${money.short(block[1])} or more`, width));
  lines.push(fit('ticker: bar = duration (log if spread); digit = calls in a slot, + 10 or more', width));
  lines.push(fit('status 429 amber, 5xx red;  cost "unpriced": no price known, never $0', width));
  lines.push(fit('top 3: ▲▼ rank change since the last refresh, new, · unchanged', width));
  while (lines.length < height) lines.push('');
  return <Lines lines={lines.slice(0, height)} width={width} />;
}
