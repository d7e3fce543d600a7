import { watch, statSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Db } from './db.js';
import type { CallRow } from './row.js';
import { compileFilter, type RowFilter } from './filter.js';

export interface TailerOptions {
  /** the tape file, watched for its -wal changes and for being replaced */
  readonly path: string;
  /** deliver rows with id > fromId */
  readonly fromId: number;
  readonly filter?: RowFilter;
  /** fallback poll, ms (a cheap `PRAGMA data_version`); default 100 while the -wal file is watched, else 50 */
  readonly pollMs?: number;
  /** rows per read; a burst is delivered in several batches, never one huge array */
  readonly batchRows?: number;
  /** watch the -wal file to wake at once; default true */
  readonly watchWal?: boolean;
  readonly onRows: (rows: CallRow[]) => void;
  /** the tape file was deleted or replaced by another file */
  readonly onReplaced?: (why: 'deleted' | 'replaced') => void;
  readonly onError?: (err: Error) => void;
}

/** the poll when nothing else wakes the reader: a commit is seen within this */
const POLL_MS = 50;
/** the poll behind a working -wal watch, which wakes the reader at once: only for missed events */
const WATCHED_POLL_MS = 100;

/**
 * Follows a tape by a cursor on `id`. Wakes on changes to the `-wal` file and on a slow
 * `PRAGMA data_version` poll (the fallback for missed events), reads only rows newer than
 * the cursor in short autocommit reads, and never holds a read transaction between polls,
 * so the writer's checkpoints are never starved.
 */
export class Tailer {
  private readonly db: Db;
  private readonly o: TailerOptions;
  private readonly matches: (row: CallRow) => boolean;
  private readonly readStmt;
  private readonly versionStmt;
  private cursor: number;
  private lastVersion = -1;
  private timer: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private watcher: FSWatcher | null = null;
  private identity: string | null = null;
  private lastStat = 0;
  private stopped = false;

  constructor(db: Db, o: TailerOptions) {
    this.db = db;
    this.o = o;
    this.cursor = o.fromId;
    const f = compileFilter(o.filter ?? {});
    this.matches = f.empty ? () => true : (r) => f.matches(r);
    this.readStmt = db.prepare('SELECT * FROM tape WHERE id > ? ORDER BY id LIMIT ?');
    this.versionStmt = db.prepare('PRAGMA data_version').pluck();
  }

  get position(): number {
    return this.cursor;
  }

  start(): this {
    this.identity = this.fileIdentity();
    if (this.o.watchWal !== false) {
      try {
        const walName = `${basename(this.o.path)}-wal`;
        this.watcher = watch(dirname(this.o.path), { persistent: false }, (_event, name) => {
          if (name === walName || name === basename(this.o.path)) this.wake('watch');
        });
        this.watcher.on('error', () => this.watcher?.close());
      } catch {
        this.watcher = null; // the poll still finds every commit
      }
    }
    const poll = () => {
      if (this.stopped) return;
      this.wake('poll');
      this.timer = setTimeout(poll, this.o.pollMs ?? (this.watcher ? WATCHED_POLL_MS : POLL_MS));
    };
    poll();
    return this;
  }

  /** Reads everything newer than the cursor now; returns how many rows were delivered. */
  drain(): number {
    const limit = this.o.batchRows ?? 2000;
    let delivered = 0;
    for (;;) {
      const rows = this.readStmt.all(this.cursor, limit) as CallRow[];
      if (rows.length === 0) break;
      this.cursor = rows[rows.length - 1]!.id;
      const kept = rows.filter(this.matches);
      if (kept.length) {
        delivered += kept.length;
        this.o.onRows(kept);
      }
      if (rows.length < limit) break;
    }
    return delivered;
  }

  private wake(why: 'poll' | 'watch' | 'retry'): void {
    if (this.stopped) return;
    try {
      this.checkFile();
      const v = this.versionStmt.get() as number;
      if (why === 'poll' && v === this.lastVersion) return;
      this.lastVersion = v;
      const before = this.cursor;
      this.drain();
      // the -wal event can fire before the commit is visible: look once more a moment later
      if (why === 'watch' && this.cursor === before && !this.retry) {
        this.retry = setTimeout(() => {
          this.retry = null;
          this.wake('retry');
        }, 1);
      }
    } catch (err) {
      this.o.onError?.(err as Error);
    }
  }

  private fileIdentity(): string | null {
    try {
      const s = statSync(this.o.path);
      return `${s.dev}:${s.ino}`;
    } catch {
      return null;
    }
  }

  private checkFile(): void {
    const now = Date.now();
    if (now - this.lastStat < 1000) return;
    this.lastStat = now;
    const id = this.fileIdentity();
    if (id === this.identity) return;
    this.o.onReplaced?.(id === null ? 'deleted' : 'replaced');
    this.identity = id;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.retry) clearTimeout(this.retry);
    this.watcher?.close();
  }
}
