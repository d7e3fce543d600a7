/**
 * Reads that answer at once (a local tape) or later (the central tape), handled alike: a value
 * is used synchronously, so nothing waits a turn when it need not; a promise is used when it
 * settles, and nothing it throws escapes as an unhandled rejection (that would end the process
 * with the terminal still in the alternate screen).
 */
import type { Awaitable } from '../tape/source.js';

export function whenReady<T>(v: Awaitable<T>, use: (value: T) => void, fail: (err: Error) => void): void {
  if (!(v instanceof Promise)) {
    use(v);
    return;
  }
  v.then(use, (err: unknown) => fail(asError(err))).catch((err: unknown) => {
    try {
      fail(asError(err));
    } catch {
      // nothing left to tell
    }
  });
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Retry delays for a tape that cannot be reached: 1 s, 2 s, 4 s ... at most 30 s. */
export function backoff(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
}
