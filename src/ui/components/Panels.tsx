import React from 'react';
import { Box } from 'ink';
import type { Readouts, TopEntry } from '../../readouts/index.js';
import { budgetLines, runRateLines, topLines, varianceLines, type PanelStyle } from '../panels.js';
import type { Money } from '../format.js';
import type { Theme } from '../theme.js';
import type { Layout } from '../layout.js';
import { Lines } from './Lines.js';

export interface PanelsProps {
  readonly readouts: Readouts | null;
  /** the top-n as last refreshed (every 5 s) */
  readonly top: readonly TopEntry[];
  readonly layout: Layout;
  readonly money: Money;
  readonly theme: Theme;
}

/**
 * The four readouts. Wide: side by side. Otherwise two columns: run rate, variance and budget
 * stacked on the left, the top 3 on the right.
 */
export function Panels({ readouts, top, layout, money, theme }: PanelsProps) {
  const h = layout.panelHeight;
  const r = readouts;
  const none = (title: string) => [theme.title(title), theme.dim('…')];
  if (layout.wide) {
    const w = Math.floor((layout.width - 3) / 4);
    const st = (width: number): PanelStyle => ({ money, theme, width, height: h });
    const last = layout.width - 3 * (w + 1);
    return (
      <Box flexDirection="row" height={h}>
        <Lines lines={r ? runRateLines(r.run_rate, st(w)) : none('RUN RATE')} width={w + 1} />
        <Lines lines={r ? topLines(top, st(w)) : none('TOP 3')} width={w + 1} />
        <Lines lines={r ? budgetLines(r.budget, st(w)) : none('BUDGET')} width={w + 1} />
        <Lines lines={r ? varianceLines(r.variance, st(last)) : none('VARIANCE')} width={last} />
      </Box>
    );
  }
  const lw = Math.floor(layout.width / 2) - 1;
  const rw = layout.width - lw - 1;
  const rateH = h >= 5 ? 2 : 1;
  const varH = 1;
  const budH = Math.max(0, h - rateH - varH);
  const left = r
    ? [
        ...runRateLines(r.run_rate, { money, theme, width: lw, height: rateH }),
        ...varianceLines(r.variance, { money, theme, width: lw, height: varH }),
        ...budgetLines(r.budget, { money, theme, width: lw, height: budH }),
      ]
    : none('READOUTS');
  return (
    <Box flexDirection="row" height={h}>
      <Lines lines={left} width={lw + 1} />
      <Lines lines={r ? topLines(top, { money, theme, width: rw, height: h }) : none('TOP 3')} width={rw} />
    </Box>
  );
}
