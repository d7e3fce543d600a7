/**
 * streamTape over any TapeSource (the central tape included): the same order, history in
 * pages up to a snapshot of the last cursor, then following; readouts interleaved on a timer
 * and printed once at the end of a finite selection.
 */
import type { CallRow } from './row.js';
import type { TapeSource } from './source.js';
import type { LineSink, StreamOptions } from './stream.js';
import { computeReadouts } from '../readouts/index.js';

export interface SourceStreamOptions extends Omit<StreamOptions, 'db' | 'path' | 'filter'> {
  /** opened with the command line's filter */
  readonly source: TapeSource;
}

const PAGE = 5000;

async function write(out: LineSink, s: string): Promise<void> {
  const wait = out.line(s);
  if (wait) await wait;
}

export async function streamSource(o: SourceStreamOptions): Promise<void> {
  const src = o.source;
  const emitReadouts = async () => {
    if (!o.readouts || o.out.isClosed) return;
    const r = computeReadouts(await src.readoutInputs(o.clock(), o.readouts.query), o.readouts.settings);
    await write(o.out, o.readouts.format(r));
  };
  const snapshot = await src.lastCursor();
  let cursor = o.since !== undefined ? await src.cursorBefore(o.since) : o.follow ? snapshot : 0;
  const bounds = { since: o.since, until: o.until };
  while (cursor < snapshot && !o.out.isClosed) {
    const p = await src.page(cursor, snapshot, PAGE, bounds);
    for (const r of p.rows) await write(o.out, o.format(r));
    cursor = p.cursor;
    if (p.done) break;
  }
  cursor = Math.max(cursor, snapshot);
  if (!o.follow) {
    await emitReadouts();
    await o.out.flush();
    return;
  }
  await o.out.flush();
  await emitReadouts();
  await o.out.flush();
  let pending: Promise<void> | undefined;
  const handle = src.follow(
    cursor,
    (rows: CallRow[]) => {
      for (const r of rows) {
        if (o.until !== undefined && r.ts > o.until) continue;
        o.out.line(o.format(r));
      }
      pending = o.out.flush();
    },
    (err) => o.onNotice?.(`reading the tape failed: ${err.message}`),
  );
  const timer = o.readouts
    ? setInterval(() => {
        void emitReadouts()
          .then(() => o.out.flush())
          .catch((err: Error) => o.onNotice?.(err.message));
      }, o.readouts.everyMs)
    : null;
  try {
    await o.stop;
  } finally {
    handle.stop();
    if (timer) clearInterval(timer);
    if (pending) await pending;
    await o.out.flush();
  }
}
