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
  stop(): void;
}

/**
 * A fresh temporary tape with this month's history and live traffic, for `tape --demo`
 * (what `npm start` runs). Removed again on exit.
 */
export async function startDemoTape(ctx: Context, o: { seed?: number; rate?: number; historyRate?: number } = {}): Promise<DemoTape> {
  const dir = mkdtempSync(join(tmpdir(), 'tape-demo-'));
  const path = join(dir, 'demo.db');
  const db = openWriter(path);
  const writer = new TapeWriter(db, ctx.prices(), { path, host: ctx.config.host ?? undefined });
  const now = Date.now();
  const seed = o.seed ?? (now & 0x7fffffff);
  // the month so far, sparser than live traffic so it writes in a second or two
  const history = new DemoSimulator(writer, { seed, rate: o.historyRate ?? 0.15 });
  history.backfill(Math.max(monthBounds(now).start, now - 7 * 86_400_000), now - 3_600_000);
  const live = new DemoSimulator(writer, { seed, rate: o.rate ?? 1 });
  live.backfill(now - 3_600_000, now);
  live.start();
  return {
    path,
    stop() {
      live.stop();
      writer.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
