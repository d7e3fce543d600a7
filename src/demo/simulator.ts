import type { TapeWriter } from '../tape/writer.js';
import type { NewCall } from '../tape/row.js';
import { callsInSecond, type TrafficOptions } from './traffic.js';

export interface SimulatorOptions extends TrafficOptions {
  readonly clock?: () => number;
  /** live tick, ms */
  readonly tickMs?: number;
}

export interface BackfillProgress {
  readonly done: number;
  readonly total: number;
  readonly rows: number;
}

/**
 * Writes the demo traffic to a tape. A call's row is appended when the call finishes
 * (ts = when it started, as the proxy would record it), so the tape is in arrival order.
 */
export class DemoSimulator {
  private readonly writer: TapeWriter;
  private readonly o: SimulatorOptions;
  private readonly clock: () => number;
  private pending: NewCall[] = [];
  private nextSecond: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  written = 0;

  constructor(writer: TapeWriter, o: SimulatorOptions) {
    this.writer = writer;
    this.o = o;
    this.clock = o.clock ?? Date.now;
  }

  /** Generates every second before `untilMs` not generated yet; returns the calls finished by `untilMs`. */
  private advance(untilMs: number): NewCall[] {
    const last = Math.floor(untilMs / 1000);
    if (this.nextSecond === null) this.nextSecond = last;
    for (; this.nextSecond <= last; this.nextSecond++) {
      for (const c of callsInSecond(this.nextSecond, this.o)) this.pending.push(c);
    }
    const done: NewCall[] = [];
    const still: NewCall[] = [];
    for (const c of this.pending) (c.ts + c.duration_ms <= untilMs ? done : still).push(c);
    this.pending = still;
    done.sort((a, b) => a.ts + a.duration_ms - (b.ts + b.duration_ms) || a.ts - b.ts);
    return done;
  }

  /** Writes the history between `fromMs` and `toMs` in batches, as fast as the writer takes it. */
  backfill(fromMs: number, toMs: number, onProgress?: (p: BackfillProgress) => void): number {
    this.nextSecond = Math.floor(fromMs / 1000);
    const stepMs = 60_000;
    let rows = 0;
    let batch: NewCall[] = [];
    for (let t = fromMs; t < toMs; t = Math.min(toMs, t + stepMs)) {
      const end = Math.min(toMs, t + stepMs);
      for (const c of this.advance(end - 1)) batch.push(c);
      if (batch.length >= 2000 || end >= toMs) {
        rows += this.writer.appendBatch(batch).inserted;
        batch = [];
        onProgress?.({ done: end - fromMs, total: toMs - fromMs, rows });
      }
    }
    this.written += rows;
    return rows;
  }

  /**
   * The same as `backfill`, in slices with the event loop free between them, so a screen
   * reading the tape in this process draws while the history is still being written.
   */
  async backfillInSlices(fromMs: number, toMs: number, sliceMs = 20 * 60_000, signal?: AbortSignal): Promise<number> {
    let rows = 0;
    for (let t = fromMs; t < toMs && !signal?.aborted; t = Math.min(toMs, t + sliceMs)) {
      const end = Math.min(toMs, t + sliceMs);
      if (t === fromMs) this.nextSecond = Math.floor(fromMs / 1000);
      const done = this.advance(end - 1);
      if (done.length) rows += this.writer.appendBatch(done).inserted;
      await new Promise((r) => setImmediate(r));
    }
    this.written += rows;
    return rows;
  }

  /** Writes live traffic until stopped. */
  start(): this {
    const tick = () => {
      const done = this.advance(this.clock());
      if (done.length) this.written += this.writer.appendBatch(done).inserted;
    };
    tick();
    this.timer = setInterval(tick, this.o.tickMs ?? 100);
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
