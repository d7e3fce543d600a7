import React, { useEffect, useRef, useState } from 'react';
import { Box, useApp, useInput, useStdout } from 'ink';
import { useTape, type UseTapeOptions } from '../useTape.js';
import { applyKey, initialUi, modeOf, type ActionContext, type UiState } from '../ui-state.js';
import { layoutFor } from '../layout.js';
import { wrap, type Money } from '../format.js';
import type { Theme } from '../theme.js';
import { Ticker } from './Ticker.js';
import { Panels } from './Panels.js';
import { Print } from './Print.js';
import { StatusLine, type PriceInfo } from './StatusLine.js';
import { Footer } from './Footer.js';
import { CallDetail } from './CallDetail.js';
import { HelpView } from './HelpView.js';
import { Lines } from './Lines.js';
import { clean } from '../plain.js';
import { isEmptyFilter } from '../../tape/filter.js';

export interface AppProps {
  readonly tape: UseTapeOptions;
  readonly prices: PriceInfo;
  readonly money: Money;
  readonly theme: Theme;
  /** block print thresholds, micro-USD */
  readonly block: readonly [number, number];
  /** --now: the tape as it stood then */
  readonly pinned: boolean;
  /** fixed size (tests); otherwise the terminal's, following resizes */
  readonly size?: { readonly columns: number; readonly rows: number };
  /** called when the user quits (before Ink exits) */
  readonly onExit?: () => void;
}

function useTerminalSize(fixed: AppProps['size']): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout, fixed]);
  return fixed ?? size;
}

/** The live tape screen: status line, ticker, readout panels, the print, the keys. */
export function App(p: AppProps) {
  const { exit } = useApp();
  const { snap, setWindow, setFilter } = useTape(p.tape);
  const [ui, setUi] = useState<UiState>(() => initialUi(snap.windowSeconds));
  const size = useTerminalSize(p.size);
  // a notice (tape replaced underneath, reads failing) takes up to two lines rather than being cut
  const notice = snap.notice ? wrap(clean(snap.notice), Math.max(20, size.columns), 2) : [];
  const layout = layoutFor(size.columns, size.rows, notice.length);
  const ctx = useRef<ActionContext>({ rows: [], arrived: 0, page: 1 });
  ctx.current = { rows: snap.rows, arrived: snap.arrived, page: layout.printRows };
  const mode = modeOf(ui);

  // the latest state decides what a key means (never a stale render's mode)
  useInput((input, key) => setUi((s) => applyKey(s, input, key, ctx.current)));
  useEffect(() => {
    if (!ui.quit) return;
    p.onExit?.();
    exit();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ui.quit, exit]);
  useEffect(() => setWindow(ui.windowSeconds), [ui.windowSeconds, setWindow]);
  useEffect(() => setFilter(ui.filter?.filter ?? null), [ui.filter, setFilter]);

  const t = p.theme;
  const bodyHeight = layout.height - 2;
  let body: React.ReactNode;
  if (ui.overlay === 'help') {
    body = <HelpView width={layout.width} height={bodyHeight} block={p.block} money={p.money} theme={t} />;
  } else if (ui.overlay === 'detail' && ui.detail) {
    body = <CallDetail row={ui.detail} width={layout.width} height={bodyHeight} tz={ui.tz} money={p.money} theme={t} />;
  } else {
    const rows = ui.paused ? ui.frozen : snap.rows;
    const emptyText =
      snap.phase === 'waiting'
        ? `waiting for the tape: ${snap.waitingWhy ?? ''}`
        : snap.phase === 'loading'
          ? `reading ${snap.label}…`
          : snap.empty
          ? 'waiting for the first call'
          : ui.filter
            ? `no calls match ${ui.filter.label} (Esc clears)`
            : 'no calls yet';
    body = (
      <Box flexDirection="column" height={bodyHeight}>
        {notice.length > 0 ? <Lines lines={notice.map((l) => t.error(l))} width={layout.width} /> : null}
        {layout.compact ? null : (
          <>
            <Ticker buckets={snap.buckets} now={snap.now} windowSeconds={snap.windowSeconds} readouts={snap.readouts} layout={layout} theme={t} money={p.money} />
            <Panels readouts={snap.readouts} top={snap.top} layout={layout} money={p.money} theme={t} />
          </>
        )}
        <Print
          rows={rows}
          width={layout.width}
          host={snap.manyHosts}
          height={layout.printRows + 1}
          style={{ tz: ui.tz, money: p.money, theme: t, block: p.block }}
          selected={ui.paused ? ui.selected : null}
          pausedArrivals={ui.paused ? snap.arrived - ui.arrivedAtPause : null}
          emptyText={emptyText}
          capacity={snap.capacity}
          filtered={!isEmptyFilter(snap.filter)}
        />
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={layout.width} height={layout.height}>
      <StatusLine
        path={snap.label}
        callsPerSec={snap.callsPerSec}
        unpriced={snap.readouts ? snap.readouts.unpriced_calls : null}
        prices={p.prices}
        now={snap.now}
        tz={ui.tz}
        pinned={p.pinned}
        filterLabel={ui.filter?.label ?? null}
        width={layout.width}
        theme={t}
      />
      {body}
      <Footer mode={mode} draft={ui.draft} hasFilter={ui.filter !== null} narrow={layout.narrow} width={layout.width} theme={t} />
    </Box>
  );
}
