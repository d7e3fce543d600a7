import React, { useMemo } from 'react';
import { Box } from 'ink';
import type { Readouts } from '../../readouts/index.js';
import { perHour } from '../../readouts/index.js';
import { toSlots, tickerLines, type TickBucket } from '../ticker-model.js';
import { fit, fmtDuration, fmtWindow, type Money } from '../format.js';
import { FAMILIES, FAMILY_LETTER, type Theme } from '../theme.js';
import type { Layout } from '../layout.js';
import { Lines } from './Lines.js';

export interface TickerProps {
  readonly buckets: readonly TickBucket[];
  readonly now: number;
  readonly windowSeconds: number;
  readonly readouts: Readouts | null;
  readonly layout: Layout;
  readonly theme: Theme;
  readonly money: Money;
}

function legend(theme: Theme, width: number): string[] {
  const items = FAMILIES.map((f) => ({ plain: `${FAMILY_LETTER[f]} ${f}`, styled: theme.model(f)(`${FAMILY_LETTER[f]} ${f}`) }));
  const lines: string[] = [];
  let plain = '';
  let styled = '';
  for (const it of items) {
    const sep = plain ? (width >= 26 ? '  ' : ' ') : '';
    if (plain && plain.length + sep.length + it.plain.length > width) {
      lines.push(styled);
      plain = '';
      styled = '';
    }
    const s = plain ? (width >= 26 ? '  ' : ' ') : '';
    plain += s + it.plain;
    styled += s + it.styled;
  }
  if (plain) lines.push(styled);
  return lines;
}

/** The ticker: calls as bars in time slots up to the NOW edge, and the window's figures beside it. */
export function Ticker({ buckets, now, windowSeconds, readouts, layout, theme, money }: TickerProps) {
  const tw = layout.tickerWidth;
  const t = useMemo(() => {
    const slots = toSlots(buckets, now, windowSeconds * 1000, tw);
    return tickerLines(slots, layout.tickerBars, layout.annotate, money, theme);
  }, [buckets, now, windowSeconds, tw, layout.tickerBars, layout.annotate, money, theme]);
  const left = [t.annotations, ...t.bars, t.letters, ...(layout.tickerCounts ? [t.counts] : [])];
  const sw = layout.sideWidth;
  const w = readouts?.window;
  const scale = t.scale.maxMs > 0 ? `${t.scale.log ? 'log' : 'lin'} ≤${fmtDuration(t.scale.maxMs)}` : '';
  const row = (label: string, value: string) => `${theme.dim(label.padEnd(7))}${fit(value, sw - 8)}`;
  const side = [
    `${theme.bold(fmtWindow(windowSeconds).padEnd(4))}${theme.dim('◂now')} ${theme.dim(scale)}`,
    row('rate', w ? money.rate(perHour(w.cost_micros, w.seconds)) : '–'),
    row('total', w ? money.amount(w.cost_micros) : '–'),
    row('calls', w ? String(w.calls) : '–'),
    ...legend(theme, sw - 1),
  ].slice(0, layout.tickerHeight);
  const edge = new Array(left.length).fill(theme.dim('│'));
  return (
    <Box flexDirection="row" height={layout.tickerHeight}>
      <Lines lines={left} width={tw} />
      <Lines lines={edge} width={1} />
      <Lines lines={side.map((s) => ` ${s}`)} width={sw} />
    </Box>
  );
}
