import React, { useMemo } from 'react';
import type { CallRow } from '../../tape/row.js';
import { printColumns, printHeader, printLine, type LineStyle } from '../print-model.js';
import { fit, wrap } from '../format.js';
import { Lines } from './Lines.js';

export interface PrintProps {
  readonly rows: readonly CallRow[];
  readonly width: number;
  /** show the host column (rows from many boxes) at any width */
  readonly host: boolean;
  /** lines available, header included */
  readonly height: number;
  readonly style: LineStyle;
  /** selected index while paused, else null */
  readonly selected: number | null;
  /** paused: calls that arrived underneath since */
  readonly pausedArrivals: number | null;
  /** shown instead of rows when there are none */
  readonly emptyText: string;
}

/** Time & sales: newest call on top, one line each; while paused the selection scrolls. */
export function Print({ rows, width, host, height, style, selected, pausedArrivals, emptyText }: PrintProps) {
  const cols = useMemo(() => printColumns(width, host), [width, host]);
  const lines: string[] = [printHeader(cols, style.theme, style.tz)];
  let room = height - 1;
  if (pausedArrivals !== null) {
    lines.push(style.theme.warn(fit(` PAUSED: ${pausedArrivals} new call${pausedArrivals === 1 ? '' : 's'} arrived underneath (space resumes, ↑↓ select, Enter opens)`, width)));
    room--;
  }
  if (rows.length === 0) {
    // a long hint (no tape yet: how to start one) wraps over the empty print rather than being cut
    for (const l of wrap(emptyText, width - 1, Math.max(1, room))) lines.push(style.theme.dim(` ${l}`));
  } else {
    const sel = selected ?? -1;
    const offset = sel >= room ? sel - room + 1 : 0;
    for (let i = offset; i < Math.min(rows.length, offset + room); i++) lines.push(printLine(rows[i]!, cols, style, i === sel));
  }
  while (lines.length < height) lines.push('');
  return <Lines lines={lines.slice(0, height)} width={width} />;
}
