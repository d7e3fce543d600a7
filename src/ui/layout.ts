/**
 * Sizes and breakpoints. The frame is one row shorter than the terminal (a frame as tall as the
 * terminal makes Ink clear the whole screen on every update: flicker), every section gets a
 * fixed share, and the print takes what is left. 80x24 shows everything essential.
 */
export const NARROW_BELOW = 100; // columns: two-column panels, essential footer keys only
export const WIDE_FROM = 140; // columns: four panels side by side, more print columns
export const SHORT_BELOW = 30; // rows: a shorter ticker
export const TALL_FROM = 40; // rows: a taller ticker
export const TINY_BELOW = 20; // rows: no count row under the ticker
export const COMPACT_BELOW = { rows: 14, columns: 60 }; // smaller: status, print and keys only

export interface Layout {
  readonly width: number;
  /** frame height: terminal rows − 1 */
  readonly height: number;
  readonly narrow: boolean;
  /** too small for the ticker and panels: status, print and keys only */
  readonly compact: boolean;
  readonly wide: boolean;
  readonly tickerBars: number;
  readonly tickerCounts: boolean;
  /** ticker height: annotation + bars + letters (+ counts) */
  readonly tickerHeight: number;
  readonly tickerWidth: number;
  readonly sideWidth: number;
  readonly panelHeight: number;
  readonly printRows: number;
  /** how many costliest calls the ticker labels */
  readonly annotate: number;
}

/** `noticeRows`: lines the notice above the ticker takes (0 without one). */
export function layoutFor(columns: number, rows: number, noticeRows: number): Layout {
  const width = Math.max(20, columns);
  const height = Math.max(3, rows - 1);
  const compact = rows < COMPACT_BELOW.rows || columns < COMPACT_BELOW.columns;
  const narrow = width < NARROW_BELOW;
  const wide = width >= WIDE_FROM;
  const tickerBars = rows < TINY_BELOW ? 2 : rows < SHORT_BELOW ? 4 : rows >= TALL_FROM ? 8 : 6;
  const tickerCounts = rows >= TINY_BELOW;
  const tickerHeight = tickerBars + 2 + (tickerCounts ? 1 : 0);
  const sideWidth = narrow ? 22 : wide ? 30 : 26;
  const panelHeight = rows < TINY_BELOW ? 3 : wide ? 4 : 5;
  // status + ticker + panels + print header + footer (+ notice)
  const fixed = compact ? 3 + noticeRows : 1 + tickerHeight + panelHeight + 1 + 1 + noticeRows;
  return {
    width,
    height,
    narrow,
    compact,
    wide,
    tickerBars,
    tickerCounts,
    tickerHeight,
    tickerWidth: width - sideWidth - 1,
    sideWidth,
    panelHeight,
    printRows: Math.max(1, height - fixed),
    annotate: narrow ? 2 : wide ? 5 : 3,
  };
}
