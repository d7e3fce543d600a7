/**
 * The one hook that talks to the tape: it owns a TapeFeed (a TapeSource following its cursor, ring
 * buffer) and pushes snapshots to React on a capped schedule, never one update per row: the
 * first rows after a quiet spell are drawn at once (a new call shows within a frame), then at most
 * every `frameMs` (10 Hz), or every `busyFrameMs` (5 Hz) while more than `busyRate` calls a second
 * arrive (the print scrolls faster than anyone reads; redraw cost follows frames, not calls).
 * Readouts and the clock tick every second; the top-n every fifth tick.
 */
import { useEffect, useRef, useState, useCallback } from 'react';
import type { RowFilter } from '../tape/filter.js';
import { TapeFeed, type FeedOptions, type FeedSnapshot } from './feed.js';

export interface UseTapeOptions extends FeedOptions {
  /** least time between two frames, ms (default 100: 10 Hz) */
  readonly frameMs?: number;
  /** least time between two frames while the tape is busy, ms (default 200) */
  readonly busyFrameMs?: number;
  /** calls per second above which the tape counts as busy (default 50) */
  readonly busyRate?: number;
  /** readouts and the clock, ms (default 1000) */
  readonly tickMs?: number;
  /** called when the tape cannot be read at all (e.g. not a tape, refused by the server) */
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
    let last = 0;
    let lastArrived = 0;
    let busy = false;
    let timer: NodeJS.Timeout | null = null;
    let stopped = false;
    const push = () => {
      timer = null;
      if (stopped || !feed.dirty) return;
      const now = performance.now();
      const s = feed.snapshot();
      const rate = ((s.arrived - lastArrived) * 1000) / Math.max(1, now - last);
      busy = rate > (o.busyRate ?? 50);
      last = now;
      lastArrived = s.arrived;
      setSnap(s);
    };
    const schedule = () => {
      if (timer || stopped) return;
      const gap = busy ? (o.busyFrameMs ?? 200) : (o.frameMs ?? 100);
      timer = setTimeout(push, Math.max(0, last + gap - performance.now()));
    };
    feed.events.onChange = schedule;
    feed.events.onFatal = (err) => o.onFatal?.(err);
    schedule(); // a read that landed before this effect ran
    const tick = setInterval(() => {
      try {
        feed.tick();
      } catch (err) {
        o.onFatal?.(err as Error);
      }
      schedule();
    }, o.tickMs ?? 1000);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      clearInterval(tick);
      feed.events.onChange = undefined;
      feed.events.onFatal = undefined;
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
