import React from 'react';
import { KEY_TABLE, labelOf } from '../keys.js';
import { fit, type Money } from '../format.js';
import { FAMILIES, FAMILY_LETTER, type Theme } from '../theme.js';
import { Lines } from './Lines.js';
import { FLAG_TABLE } from '../print-model.js';

export interface HelpProps {
  readonly width: number;
  readonly height: number;
  readonly block: readonly [number, number];
  readonly money: Money;
  readonly theme: Theme;
}

/** The flags' table packed into lines of the width: `flags: cut stream cut  nouse no usage ...`. */
export function flagHelpLines(width: number): string[] {
  const lines: string[] = [];
  let line = 'flags:';
  for (const f of FLAG_TABLE) {
    const entry = `${f.short} ${f.help}`;
    if (line.length + 2 + entry.length > width && line.trim() !== 'flags:') {
      lines.push(line);
      line = '     ';
    }
    line += `${line.endsWith(':') ? ' ' : '  '}${entry}`;
  }
  lines.push(line);
  return lines;
}

/** Every key (from the key table) and what the marks on screen mean; 80x24 shows it all. */
export function HelpView({ width, height, block, money, theme }: HelpProps) {
  const lines = [theme.title('KEYS') + theme.dim('  (? or Esc: back)')];
  const entries: { keys: string; action: string; help: string }[] = [];
  const seen = new Set<string>();
  for (const d of KEY_TABLE) {
    const id = `${d.keys}:${d.action}`;
    if (seen.has(id) || d.modes.includes('filter') && !d.modes.includes('live')) continue;
    seen.add(id);
    const last = entries[entries.length - 1];
    // one line per action (Ctrl-C q) and per key (Esc: clear the filter; close this view)
    const sameAction = entries.find((e) => e.action === d.action);
    const sameKeys = entries.find((e) => e.keys === d.keys);
    if (d.helpWithPrevious && last) last.keys += ` ${d.keys}`;
    else if (sameAction) sameAction.keys += ` ${d.keys}`;
    else if (sameKeys) sameKeys.help += `; ${d.help || labelOf(d, 'live')}`;
    else entries.push({ keys: d.keys, action: d.action, help: d.help || labelOf(d, 'live') });
  }
  for (const e of entries) lines.push(`${theme.key(e.keys.padEnd(9))} ${fit(e.help, width - 11)}`);
  const marks = [
    theme.title('MARKS'),
    FAMILIES.map((f) => theme.model(f)(`${FAMILY_LETTER[f]} ${f}`)).join('  ') + theme.dim('  (ticker, print)'),
    fit(`$ ≥ ${money.short(block[0])}  # ≥ ${money.short(block[1])} (block prints)  ! error: 429/4xx amber, 5xx & err red`, width),
    fit(`cost: unpriced = no price known (never $0);  ${money.failedZero()} = failed call, no tokens`, width),
    fit('ticker: bar = duration (log if spread); digit = calls in a slot, + 10 or more', width),
    fit('top 3: ▲▼ rank change since the last refresh, new, · unchanged', width),
    ...flagHelpLines(width).map((l) => fit(l, width)),
  ];
  // a blank line between keys and marks only where it costs nothing (80x24 needs every line)
  if (lines.length + 1 + marks.length <= height) lines.push('');
  lines.push(...marks);
  while (lines.length < height) lines.push('');
  return <Lines lines={lines.slice(0, height)} width={width} />;
}
