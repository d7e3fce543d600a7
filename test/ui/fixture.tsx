import React from 'react';
import { render } from 'ink-testing-library';
import { App, type AppProps } from '../../src/ui/components/App.js';
import { Money } from '../../src/ui/format.js';
import { themeAt } from '../../src/ui/theme.js';
import { TapeQueries, type ReadoutQueryOptions } from '../../src/tape/queries.js';
import { openReader } from '../../src/tape/db.js';
import { computeReadouts, DEFAULT_READOUT_SETTINGS, type Readouts } from '../../src/readouts/index.js';
import { Flag, type NewCall } from '../../src/tape/row.js';
import type { RowFilter } from '../../src/tape/filter.js';
import { call, waitFor } from '../helpers/tape.js';
import { centralPeriods } from '../../src/cli/commands/read.js';

/** 2026-12-20T00:00:00Z: the pinned clock of these tests. */
export const NOW = Date.UTC(2026, 11, 20, 0, 0, 0);
export const BLOCK: readonly [number, number] = [100_000, 1_000_000];
export const money = new Money();
export const plain = themeAt(0);

export function query(windowSeconds = 90, budgetMicros: number | null = null, filter: RowFilter = {}): ReadoutQueryOptions {
  return { windowSeconds, budgetRateSeconds: 86_400, budgetMicros, filter };
}

/** The fixture: every kind of call, at explicit times before NOW. */
export function fixtureCalls(): NewCall[] {
  const priced = (c: Partial<NewCall> & { ts: number; cost_micros: number | null }): NewCall =>
    call({ price_version: 'genai-prices@0.1.8', ...c });
  return [
    priced({ ts: NOW - 5 * 86_400_000, project: 'archive', model: 'claude-sonnet-4-5', cost_micros: 2_000_000, request_id: 'msg_old' }),
    priced({ ts: NOW - 40 * 60_000, project: 'underwriting', model: 'claude-sonnet-4-5', cost_micros: 50_000, duration_ms: 4000, request_id: 'msg_hour' }),
    priced({ ts: NOW - 80_000, project: 'underwriting', model: 'claude-opus-4-5', input_tok: 5120, output_tok: 830, cached_tok: 4096, duration_ms: 2140, cost_micros: 114_000, request_id: 'msg_opus' }),
    priced({ ts: NOW - 50_000, project: 'sales-tool', provider: 'openai', model: 'gpt-5', duration_ms: 900, cost_micros: 29_830, status: 429, flags: Flag.stream_cut, request_id: 'req_gpt' }),
    priced({ ts: NOW - 30_000, project: 'support', provider: 'google', model: 'gemini-2.5-pro', duration_ms: 15_000, cost_micros: 1_200_000, status: 500, request_id: 'req_gem' }),
    priced({ ts: NOW - 10_000, project: 'support', model: 'claude-experimental', duration_ms: 300, cost_micros: null, request_id: 'msg_unpriced' }),
  ];
}

/** What `tape --json --readouts` computes for this tape at NOW. */
export function expectedReadouts(path: string, q: ReadoutQueryOptions): Readouts {
  const db = openReader(path);
  try {
    return computeReadouts(new TapeQueries(db, q.filter).readoutInputs(NOW, q), DEFAULT_READOUT_SETTINGS);
  } finally {
    db.close();
  }
}

export interface Screen {
  frame(): string;
  write(s: string): void;
  until(text: string | RegExp | ((frame: string) => boolean), what?: string): Promise<string>;
  unmount(): void;
  exited: () => boolean;
}

export function screen(path: string, o: { columns?: number; rows?: number; q?: ReadoutQueryOptions; theme?: AppProps['theme']; follow?: boolean; pollMs?: number; timeoutMs?: number; ringSize?: number } = {}): Screen {
  let exited = false;
  const q = o.q ?? query();
  const r = render(
    <App
      tape={{ path, centralPeriods: path.startsWith('postgres://') ? centralPeriods : undefined, filter: q.filter ?? {}, query: q, settings: DEFAULT_READOUT_SETTINGS, clock: () => NOW, follow: o.follow ?? true, frameMs: 20, tickMs: 100, pollMs: o.pollMs ?? 20, ringSize: o.ringSize }}
      prices={{ version: 'genai-prices@0.1.8', fetchedAt: null }}
      money={money}
      theme={o.theme ?? plain}
      block={BLOCK}
      pinned={false}
      size={{ columns: o.columns ?? 80, rows: o.rows ?? 24 }}
      onExit={() => (exited = true)}
    />,
  );
  const frame = () => r.lastFrame() ?? '';
  return {
    frame,
    write: (s) => r.stdin.write(s),
    until: (text, what) =>
      waitFor(() => {
        const f = frame();
        return (typeof text === 'string' ? f.includes(text) : typeof text === 'function' ? text(f) : text.test(f)) ? f : undefined;
      }, what ?? `the screen to show ${String(text)}`, o.timeoutMs ?? 5000),
    unmount: () => r.unmount(),
    exited: () => exited,
  };
}

export const KEYS = { up: '\u001b[A', down: '\u001b[B', enter: '\r', esc: '\u001b', pageDown: '\u001b[6~', pageUp: '\u001b[5~' };
