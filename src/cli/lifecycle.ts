/**
 * Cleanup that must run however the process ends: databases closed, tailers stopped,
 * the terminal restored. Commands register; `main` runs them once.
 */
import os from 'node:os';

type Cleanup = () => void | Promise<void>;
const cleanups: Cleanup[] = [];
let ran = false;

export function onShutdown(fn: Cleanup): () => void {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

export async function runShutdown(): Promise<void> {
  if (ran) return;
  ran = true;
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch {
      // cleanup is best effort; the exit code already says what went wrong
    }
  }
}

/** Resolves on SIGINT/SIGTERM (or when `signal` aborts), for commands that run until stopped. */
export function untilStopped(signal?: AbortSignal): Promise<NodeJS.Signals | 'abort'> {
  return new Promise((resolve) => {
    const done = (how: NodeJS.Signals | 'abort') => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(how);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    signal?.addEventListener('abort', () => done('abort'), { once: true });
  });
}

/**
 * The exit code for how a run-until-stopped command ended: 128 + the signal's number for a signal
 * (143 for SIGTERM, 130 for SIGINT), as a shell reports a process the signal ended; 0 otherwise.
 */
export function stoppedExitCode(how: NodeJS.Signals | 'abort' | void): number {
  if (!how || how === 'abort') return 0;
  const n = os.constants.signals[how];
  return typeof n === 'number' ? 128 + n : 0;
}
