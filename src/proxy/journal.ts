import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync, mkdirSync, fsyncSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { TapeError, ExitCode } from '../errors.js';

/**
 * The proxy's write-ahead journal: one small append-only text file per tape, 0600, under
 * the state dir. A call is journalled (B) before its first byte goes upstream, its status
 * and request id (H) when the response head arrives, its model (M) when the request names
 * it, and its end (E) once its row is committed. Entries without an E after a crash are
 * calls whose outcome was never seen. Holds no text and no keys: ids, times, names, counts.
 */
export interface JournalEntry {
  readonly jid: string;
  readonly ts: number;
  readonly provider: string;
  readonly project: string;
  model: string | null;
  status: number;
  requestId: string | null;
}

const COMPACT_BYTES = 4 << 20;

/** Tabs and line breaks would break the line format; strip every control character. */
function clean(v: string): string {
  return v.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 256);
}

export function journalPathFor(stateDir: string, dbPath: string): string {
  const tag = createHash('sha256').update(dbPath).digest('hex').slice(0, 12);
  return join(stateDir, `proxy-journal-${tag}.log`);
}

/** Replays a journal file: the entries that never ended, in the order they began. */
export function readJournal(path: string): JournalEntry[] {
  if (!existsSync(path)) return [];
  const open = new Map<string, JournalEntry>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const f = line.split('\t');
    const jid = f[1];
    if (!jid) continue;
    if (f[0] === 'B' && f.length >= 5) {
      open.set(jid, { jid, ts: Number(f[2]) || 0, provider: f[3]!, project: f[4]!, model: f[5] || null, status: 0, requestId: null });
    } else if (f[0] === 'H' && open.has(jid)) {
      const e = open.get(jid)!;
      e.status = Number(f[2]) || 0;
      e.requestId = f[3] || null;
    } else if (f[0] === 'M' && open.has(jid)) open.get(jid)!.model = f[2] || null;
    else if (f[0] === 'E') open.delete(jid);
  }
  return [...open.values()];
}

/**
 * When a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or null
 * where there is no /proc (macOS, BSD) or it cannot be read. The command line is no use here:
 * it names whatever script started the proxy (`bin/tape`, `dist/tape.mjs`, a test runner).
 */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name (field 2) is in parentheses and may itself hold spaces or ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Whether the process that wrote the lock still runs. A pid alone can be recycled by an
 * unrelated process after a crash; where the lock records a start time and /proc can tell,
 * a different start time means the holder is gone. Without /proc, a live pid counts as alive.
 */
function holderAlive(pid: number, started: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false; // no such process, or another user's (not a proxy writing our state dir)
  }
  const now = started ? startTimeOf(pid) : null;
  return now === null || now === started;
}

export class Journal {
  private fd: number;
  private bytes: number;
  private readonly live = new Map<string, JournalEntry>();
  private readonly lockPath: string;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.lockPath = `${path}.lock`;
    this.lock();
    this.fd = openSync(path, 'a', 0o600);
    this.bytes = statSync(path).size;
  }

  /** One proxy per tape journal: a second one would recover the first one's live calls. */
  private lock(): void {
    const mine = `${process.pid} ${startTimeOf(process.pid) ?? ''}`.trim();
    try {
      writeFileSync(this.lockPath, mine, { flag: 'wx', mode: 0o600 });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const [pidText, started] = readFileSync(this.lockPath, 'utf8').trim().split(' ');
    const pid = Number(pidText);
    if (pid > 0 && pid !== process.pid && holderAlive(pid, started)) {
      throw new TapeError(`another tape proxy (pid ${pid}) is already writing this tape; stop it first, or use another --db`, ExitCode.unwritable);
    }
    writeFileSync(this.lockPath, mine, { mode: 0o600 });
  }

  private write(line: string): void {
    const n = writeSync(this.fd, line);
    this.bytes += n;
  }

  private readonly prefix = randomBytes(6).toString('base64url');
  private counter = 0;

  /** Unique across runs: a random prefix per process and a counter. */
  newId(): string {
    return `${this.prefix}${(++this.counter).toString(36)}`;
  }

  /** Before the first byte goes upstream. Throws when the journal cannot be written. */
  begin(e: JournalEntry): void {
    this.write(`B\t${e.jid}\t${e.ts}\t${clean(e.provider)}\t${clean(e.project)}\t${e.model ? clean(e.model) : ''}\n`);
    this.live.set(e.jid, e);
  }

  head(jid: string, status: number, requestId: string | null): void {
    const e = this.live.get(jid);
    if (!e) return;
    e.status = status;
    e.requestId = requestId;
    this.tryWrite(`H\t${jid}\t${status}\t${requestId ? clean(requestId) : ''}\n`);
  }

  model(jid: string, model: string): void {
    const e = this.live.get(jid);
    if (!e || e.model === model) return;
    e.model = model;
    this.tryWrite(`M\t${jid}\t${clean(model)}\n`);
  }

  /** The call's row is on the tape. */
  end(jid: string): void {
    if (!this.live.delete(jid)) return;
    this.tryWrite(`E\t${jid}\n`);
    if (this.bytes > COMPACT_BYTES) this.compact();
  }

  /** Later lines are best effort: a missing H/M/E only makes recovery more conservative. */
  private tryWrite(line: string): void {
    try {
      this.write(line);
    } catch {
      // the B line is what matters; recovery treats the entry as still open
    }
  }

  /** Rewrites the file with only the live entries (write, fsync, rename: never a torn journal). */
  compact(): void {
    const tmp = `${this.path}.tmp`;
    const lines = [...this.live.values()].map((e) => `B\t${e.jid}\t${e.ts}\t${clean(e.provider)}\t${clean(e.project)}\t${e.model ? clean(e.model) : ''}\nH\t${e.jid}\t${e.status}\t${e.requestId ? clean(e.requestId) : ''}\n`);
    try {
      const fd = openSync(tmp, 'w', 0o600);
      writeSync(fd, lines.join(''));
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, this.path);
      closeSync(this.fd);
      this.fd = openSync(this.path, 'a', 0o600);
      this.bytes = statSync(this.path).size;
    } catch {
      // keep appending to the old file; compaction is an optimisation
    }
  }

  get inFlight(): number {
    return this.live.size;
  }

  close(): void {
    if (this.live.size === 0) this.compact();
    closeSync(this.fd);
    try {
      unlinkSync(this.lockPath);
    } catch {
      // already gone
    }
  }
}
