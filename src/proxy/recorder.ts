import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TapeWriter } from '../tape/writer.js';
import type { NewCall } from '../tape/row.js';
import { Flag } from '../tape/row.js';
import type { Journal, JournalEntry } from './journal.js';
import { TapeError, ExitCode } from '../errors.js';

export type OnTapeError = 'refuse' | 'forward';

export interface RecorderOptions {
  readonly writer: TapeWriter;
  readonly journal: Journal;
  readonly dbPath: string;
  readonly onTapeError: OnTapeError;
  /** refuse new calls when the tape's disk has less free space than this, bytes */
  readonly minFreeBytes: number;
  readonly retryMs?: number;
  /** a line for the log (never carries keys or text) */
  readonly log: (line: string) => void;
}

/**
 * Puts finished calls on the tape and knows whether the tape can take more. A row that
 * fails to commit is kept in memory (and stays open in the journal) and retried; while
 * the tape is failing, new calls are refused (503) or, if asked, forwarded and recorded late.
 */
export class Recorder {
  private failing: string | null = null;
  private retry: { call: NewCall; jid: string }[] = [];
  private readonly timer: NodeJS.Timeout;
  private writing = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: RecorderOptions) {
    this.checkDisk();
    this.timer = setInterval(() => {
      this.checkDisk();
      this.retryFailed();
    }, o.retryMs ?? 1000);
    this.timer.unref();
  }

  /** Why the tape cannot be written right now, or null. */
  get problem(): string | null {
    return this.failing;
  }

  /** Whether a new call may go upstream, and whether its row must be marked as recorded late. */
  admit(): { ok: true; late: boolean } | { ok: false; why: string } {
    if (this.failing === null) return { ok: true, late: false };
    if (this.o.onTapeError === 'forward') return { ok: true, late: true };
    return { ok: false, why: this.failing };
  }

  private checkDisk(): void {
    if (this.o.minFreeBytes <= 0) return;
    let free: number;
    try {
      const s = statfsSync(dirname(this.o.dbPath));
      free = s.bavail * s.bsize;
    } catch {
      return;
    }
    const low = free < this.o.minFreeBytes;
    if (low && this.failing === null) this.fail(`the disk holding the tape has ${Math.floor(free / 1048576)} MiB free`);
    else if (!low && this.failing?.startsWith('the disk') && this.retry.length === 0) this.recover();
  }

  private fail(why: string): void {
    if (this.failing === null) this.o.log(`tape proxy: the tape cannot be written (${why}); ${this.o.onTapeError === 'refuse' ? 'refusing new calls with 503' : 'forwarding and recording late'}`);
    this.failing = why;
  }

  private recover(): void {
    this.o.log('tape proxy: the tape is writable again');
    this.failing = null;
  }

  /** Appends a finished call; its journal entry ends once the row is committed. */
  record(call: NewCall, jid: string): void {
    if (this.failing !== null && this.o.onTapeError === 'forward') call.flags = (call.flags ?? 0) | Flag.recorded_late;
    this.writing++;
    this.o.writer.append(call).then(
      (id) => {
        // A provider id the tape already holds: a replayed response, not a re-sent row. The proxy
        // saw a distinct call, so it keeps its row, without the clashing id.
        if (id === null && call.request_id) return this.o.writer.append({ ...call, request_id: null }).then(() => this.o.journal.end(jid));
        this.o.journal.end(jid);
      },
    ).catch((err: Error) => {
      if (err instanceof TapeError && err.exitCode === ExitCode.badInput) {
        this.o.log(`tape proxy: dropped a row the tape refuses (${err.message})`);
        this.o.journal.end(jid);
        return;
      }
      this.retry.push({ call, jid });
      this.fail(err.message);
    }).finally(() => {
      if (--this.writing === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  private retryFailed(): void {
    if (this.retry.length === 0) return;
    const batch = this.retry;
    try {
      this.o.writer.appendBatch(batch.map((r) => r.call));
    } catch (err) {
      this.fail((err as Error).message);
      return;
    }
    this.retry = [];
    for (const r of batch) this.o.journal.end(r.jid);
    this.recover();
  }

  /** Rows for calls a previous run journalled but never finished: outcome unknown, unpriced. */
  static orphanRows(entries: readonly JournalEntry[], priceVersion: string): NewCall[] {
    return entries.map((e) => ({
      ts: e.ts,
      project: e.project || 'default',
      provider: e.provider || 'unknown',
      model: e.model || 'unknown',
      input_tok: 0,
      output_tok: 0,
      duration_ms: 0,
      cost_micros: null,
      price_version: priceVersion,
      status: e.status,
      flags: Flag.outcome_unknown | Flag.usage_missing,
      // the provider's id when it was seen; else a journal id, so a second recovery adds nothing
      request_id: e.requestId ?? `tape-journal:${e.jid}`,
      source: 'proxy',
    }));
  }

  /** Commits what is queued, retries what failed once more; resolves when nothing is in flight. */
  async drain(): Promise<void> {
    this.o.writer.flush();
    if (this.writing > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    this.retryFailed();
  }

  get unsaved(): number {
    return this.retry.length;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
