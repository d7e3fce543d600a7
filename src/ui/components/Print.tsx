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
  /** the most calls kept on screen (the ring's size): paging back ends there */
  readonly capacity: number;
  /** a filter is set (the oldest call kept is the oldest that matches) */
  readonly filtered: boolean;
}

/**
 * The mark under the oldest call while paused, so that paging back never stops silently: the ring
 * is full (older calls are on the tape, not on screen: how to read them) or it holds them all.
 */
export function endMark(rows: readonly CallRow[], capacity: number, filtered: boolean): string {
  const oldest = rows[rows.length - 1];
  if (oldest && rows.length >= capacity) return `— ${capacity} calls kept; older: tape --json --until ${new Date(oldest.ts).toISOString()} —`;
  return filtered ? '— no older call matches —' : '— no older call on the tape —';
}

/** Time & sales: newest call on top, one line each; while paused the selection scrolls. */
export function Print({ rows, width, host, height, style, selected, pausedArrivals, emptyText, capacity, filtered }: PrintProps) {
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
    // while paused the end mark is one more line under the oldest call, in view with it
    const sel = selected ?? -1;
    const mark = selected !== null ? endMark(rows, capacity, filtered) : null;
    const total = rows.length + (mark ? 1 : 0);
    const focus = mark && sel === rows.length - 1 ? rows.length : sel;
    const offset = focus >= room ? focus - room + 1 : 0;
    for (let i = offset; i < Math.min(total, offset + room); i++) {
      lines.push(i < rows.length ? printLine(rows[i]!, cols, style, i === sel) : style.theme.dim(fit(` ${mark}`, width)));
    }
  }
  while (lines.length < height) lines.push('');
  return <Lines lines={lines.slice(0, height)} width={width} />;
}
