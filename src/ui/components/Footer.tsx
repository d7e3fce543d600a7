import React from 'react';
import { footerEntries, type Mode } from '../keys.js';
import type { Theme } from '../theme.js';
import { Lines } from './Lines.js';

export interface FooterProps {
  readonly mode: Mode;
  readonly draft: string;
  readonly hasFilter: boolean;
  readonly narrow: boolean;
  readonly width: number;
  readonly theme: Theme;
}

/** The keys for this mode, from the key table; the filter prompt while typing one. */
export function Footer({ mode, draft, hasFilter, narrow, width, theme }: FooterProps) {
  const keys = footerEntries(mode, narrow, hasFilter, mode === 'filter' ? width - 12 - draft.length : width)
    .map((e) => `${theme.key(e.keys)} ${e.label}`)
    .join('  ');
  if (mode === 'filter') {
    const hint = theme.dim(' project:x model:x provider:x, * globs');
    return <Lines lines={[`${theme.bold('filter /')} ${draft}█ ${keys}${width >= 100 ? hint : ''}`]} width={width} />;
  }
  return <Lines lines={[keys]} width={width} />;
}
