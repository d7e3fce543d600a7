import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWriter } from '../tape/db.js';
import { TapeWriter } from '../tape/writer.js';
import { DemoSimulator } from '../demo/simulator.js';
import type { Context } from './context.js';
import { monthBounds } from '../readouts/budget.js';

export interface DemoTape {
  readonly path: string;
  /** resolves when the history is written and live traffic has started */
  readonly ready: Promise<void>;
  stop(): void;
}

/**
 * A fresh temporary tape with this month's history and live traffic, for `tape --demo`
 * (what `npm start` runs). Returns as soon as the tape exists: the history is written in
 * slices in the background (a screen shows it filling), then live traffic starts. Removed on exit.
 */
export async function startDemoTape(ctx: Context, o: { seed?: number; rate?: number; historyRate?: number } = {}): Promise<DemoTape> {
  const dir = mkdtempSync(join(tmpdir(), 'tape-demo-'));
  const path = join(dir, 'demo.db');
  const db = openWriter(path);
  const writer = new TapeWriter(db, ctx.prices(), { path, host: ctx.config.host ?? undefined });
  const now = Date.now();
  const seed = o.seed ?? (now & 0x7fffffff);
  const stopped = new AbortController();
  const live = new DemoSimulator(writer, { seed, rate: o.rate ?? 1 });
  const ready = (async () => {
    // the month so far (at most a week), sparser than live traffic, then the last hour at full rate
    const history = new DemoSimulator(writer, { seed, rate: o.historyRate ?? 0.15 });
    await history.backfillInSlices(Math.max(monthBounds(now).start, now - 7 * 86_400_000), now - 3_600_000, 6 * 3_600_000, stopped.signal);
    await live.backfillInSlices(now - 3_600_000, Date.now(), 10 * 60_000, stopped.signal);
    if (!stopped.signal.aborted) live.start();
  })();
  return {
    path,
    ready,
    stop() {
      stopped.abort();
      live.stop();
      writer.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
