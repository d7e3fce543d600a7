/**
 * The one hook that talks to the tape: it owns a TapeFeed (connection, Tailer, queries, ring
 * buffer), and pushes snapshots to React on capped timers: rows at most `frameMs` apart (10 Hz),
 * readouts every second, the top-n every fifth second. Never one React update per row.
 */
import { useEffect, useRef, useState, useCallback } from 'react';
import type { RowFilter } from '../tape/filter.js';
import { TapeFeed, type FeedOptions, type FeedSnapshot } from './feed.js';

export interface UseTapeOptions extends FeedOptions {
  /** rows reach the screen at most this often, ms (default 100: 10 Hz) */
  readonly frameMs?: number;
  /** readouts and the clock, ms (default 1000) */
  readonly tickMs?: number;
  /** called when the tape cannot be read at all (e.g. not a tape) */
  readonly onFatal?: (err: Error) => void;
}

export interface TapeView {
  readonly snap: FeedSnapshot;
  setWindow(seconds: number): void;
  setFilter(f: RowFilter | null): void;
}

export function useTape(o: UseTapeOptions): TapeView {
  const feedRef = useRef<TapeFeed | null>(null);
  if (!feedRef.current) feedRef.current = new TapeFeed(o);
  const feed = feedRef.current;
  const [snap, setSnap] = useState<FeedSnapshot>(() => {
    try {
      feed.tryOpen();
    } catch (err) {
      queueMicrotask(() => o.onFatal?.(err as Error));
    }
    return feed.snapshot();
  });

  useEffect(() => {
    const push = () => {
      if (feed.dirty) setSnap(feed.snapshot());
    };
    const frame = setInterval(push, o.frameMs ?? 100);
    const tick = setInterval(() => {
      try {
        feed.tick();
      } catch (err) {
        o.onFatal?.(err as Error);
      }
      push();
    }, o.tickMs ?? 1000);
    return () => {
      clearInterval(frame);
      clearInterval(tick);
      feed.stop();
    };
    // the feed lives as long as the screen
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const setWindow = useCallback((s: number) => {
    feed.setWindow(s);
    setSnap(feed.snapshot());
  }, [feed]);
  const setFilter = useCallback((f: RowFilter | null) => {
    feed.setFilter(f);
    setSnap(feed.snapshot());
  }, [feed]);
  return { snap, setWindow, setFilter };
}
