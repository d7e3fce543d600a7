/**
 * Typed errors carry their exit code; `main` catches once and prints one line.
 * Exit codes are part of the CLI contract and documented in the README.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** reconcile: a period is beyond the variance threshold */
  variance: 3,
  /** no tape at the path */
  noTape: 4,
  /** the file is not a tape, or is a newer schema */
  foreignTape: 5,
  /** locked, read-only or full: the tape cannot be written */
  unwritable: 6,
  /** corrupt database file */
  corrupt: 7,
  /** bad input file (import/reconcile): nothing was written */
  badInput: 8,
  /** network/service failure (upstream, PostgreSQL) */
  unavailable: 9,
  internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class TapeError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.failure) {
    super(message);
    this.name = 'TapeError';
    this.exitCode = exitCode;
  }
}

export function isTapeError(err: unknown): err is TapeError {
  return err instanceof TapeError;
}
