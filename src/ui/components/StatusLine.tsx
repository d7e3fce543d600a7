import React from 'react';
import { fmtAge, fmtClock, type TimeZoneMode } from '../format.js';
import type { Theme } from '../theme.js';
import { clean } from '../plain.js';
import { Lines } from './Lines.js';

export interface PriceInfo {
  readonly version: string;
  /** when the price data was fetched (epoch ms), null for the data bundled with tape */
  readonly fetchedAt: number | null;
}

export const STALE_PRICES_MS = 30 * 86_400_000;

export interface StatusProps {
  readonly path: string;
  readonly callsPerSec: number;
  readonly unpriced: number | null;
  readonly prices: PriceInfo;
  readonly now: number;
  readonly tz: TimeZoneMode;
  readonly pinned: boolean;
  readonly filterLabel: string | null;
  readonly width: number;
  readonly theme: Theme;
}

/** Cuts the middle of a path, keeping more of its end (the file name). */
export function cutMiddle(s: string, w: number): string {
  if (s.length <= w) return s;
  if (w < 6) return s.slice(-w);
  const head = Math.floor((w - 1) / 3);
  return `${s.slice(0, head)}…${s.slice(s.length - (w - 1 - head))}`;
}

/** A central tape's URL, shorter: without the scheme and user when they do not fit, then cut in the middle. */
export function shortLabel(label: string, w: number): string {
  if (label.length <= w) return label;
  const m = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?(.*)$/i.exec(label);
  return cutMiddle(m ? m[1]! : label, w);
}

/** The room the label wants before the price list gets any: a path 14, a server address all of it (up to 30). */
function labelNeed(label: string): number {
  const m = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?(.*)$/i.exec(label);
  return m ? Math.min(30, m[1]!.length) : 14;
}

/** tape path (or central URL), calls per second, unpriced calls, price list version and age, the UTC clock. */
export function StatusLine(p: StatusProps) {
  const t = p.theme;
  const narrow = p.width < 100;
  const stamp = narrow ? fmtClock(p.now, p.tz).slice(11) : fmtClock(p.now, p.tz);
  const clock = `${p.pinned ? 'at ' : ''}${stamp}`;
  const rate = `${p.callsPerSec < 10 ? p.callsPerSec.toFixed(1) : Math.round(p.callsPerSec)} calls/s`;
  const unpriced = p.unpriced === null ? '' : `${p.unpriced} unpriced`;
  const stale = p.prices.fetchedAt !== null && p.now - p.prices.fetchedAt > STALE_PRICES_MS;
  const age = p.prices.fetchedAt === null ? 'bundled' : `${fmtAge(p.now - p.prices.fetchedAt)} old${stale ? ': stale, tape prices update' : ''}`;
  const filter = p.filterLabel ? `filter ${clean(p.filterLabel)}` : '';
  type Part = { plain: string; style: (s: string) => string };
  const parts: Part[] = ([
    { plain: rate, style: (s: string) => s },
    { plain: unpriced, style: p.unpriced ? t.warn : t.dim },
    { plain: filter, style: t.warn },
  ] as Part[]).filter((x) => x.plain);
  const used = () => parts.reduce((n, x) => n + x.plain.length + 2, 0) + clock.length + 'tape '.length + 1;
  // a narrow pane keeps the clock whole: calls/s goes first, then the unpriced count, then the filter
  while (parts.length > 0 && p.width - used() < 6) parts.shift();
  // prices: version and age, else the version only, else nothing; the path takes what is left (at least 14)
  for (const text of [`${p.prices.version} (${age})`, `${p.prices.version}${stale ? ' stale' : ''}`]) {
    if (p.width - used() - text.length - 2 >= labelNeed(p.path)) {
      parts.push({ plain: text, style: stale ? t.warn : t.dim });
      break;
    }
  }
  const path = shortLabel(p.path, Math.max(6, p.width - used()));
  const plainLeft = [`tape ${path}`, ...parts.map((x) => x.plain)].join('  ');
  const left = [`${t.bold('tape')} ${t.dim(path)}`, ...parts.map((x) => x.style(x.plain))].join('  ');
  const gap = Math.max(1, p.width - plainLeft.length - clock.length);
  return <Lines lines={[left + ' '.repeat(gap) + (p.pinned ? t.warn(clock) : t.bold(clock))]} width={p.width} />;
}
