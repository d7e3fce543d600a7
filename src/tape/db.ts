import Database from 'better-sqlite3';
import { existsSync, mkdirSync, openSync, readSync, closeSync, statSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { TapeError, ExitCode } from '../errors.js';
import { APPLICATION_ID, MIGRATIONS, MIN_SQLITE, SCHEMA_VERSION } from './schema.js';

export type Db = Database.Database;

const HINT_START = 'start one with `tape demo` (simulated traffic) or `tape proxy` (real calls), or point --db / $TAPE_DB at an existing tape';

function checkSqliteVersion(db: Db): void {
  const v = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  const parts = v.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const have = parts[i] ?? 0;
    const need = MIN_SQLITE[i]!;
    if (have > need) return;
    if (have < need) {
      throw new TapeError(`SQLite ${v} is too old (need ${MIN_SQLITE.join('.')} or newer: older versions can corrupt WAL databases); reinstall better-sqlite3 12`, ExitCode.internal);
    }
  }
}

/** Looks at the first bytes so a foreign file is named as such before SQLite touches it. */
function sniff(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return;
  }
  if (size === 0) return;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(16);
    readSync(fd, buf, 0, 16, 0);
    if (buf.toString('latin1') !== 'SQLite format 3\u0000') {
      throw new TapeError(`${path} is not a tape (not an SQLite database); point --db at a tape file or move this file away`, ExitCode.foreignTape);
    }
  } finally {
    closeSync(fd);
  }
}

/** Turns SQLite failures into one line a user can act on. */
export function explainSqliteError(err: unknown, path: string): never {
  if (err instanceof TapeError) throw err;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED') {
    throw new TapeError(`the tape ${path} is locked by another process; wait for it or stop it, then retry`, ExitCode.unwritable);
  }
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    throw new TapeError(`cannot write the tape ${path} (${e.message}); check the file and folder permissions`, ExitCode.unwritable);
  }
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')) {
    throw new TapeError(`cannot write the tape ${path}: ${code === 'SQLITE_FULL' ? 'the disk is full' : e.message}; free space and retry (nothing was written)`, ExitCode.unwritable);
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    throw new TapeError(`the tape ${path} is corrupt (${e.message}); restore it from a copy, or move it away and start a new one`, ExitCode.corrupt);
  }
  throw err;
}

function checkIdentity(db: Db, path: string, writable: boolean): number {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (appId === 0 && version === 0) {
    const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
    if (tables > 0) {
      throw new TapeError(`${path} is an SQLite database but not a tape (it has other tables); point --db at a tape file`, ExitCode.foreignTape);
    }
    if (!writable) throw new TapeError(`no tape at ${path} yet (the file is empty); ${HINT_START}`, ExitCode.noTape);
    return 0;
  }
  if (appId !== APPLICATION_ID) {
    throw new TapeError(`${path} is an SQLite database but not a tape (application_id ${appId}); point --db at a tape file`, ExitCode.foreignTape);
  }
  if (version > SCHEMA_VERSION) {
    throw new TapeError(`${path} was written by a newer tape (schema v${version}, this tape knows v${SCHEMA_VERSION}); upgrade tape to read it`, ExitCode.foreignTape);
  }
  return version;
}

function migrate(db: Db, from: number): void {
  db.transaction(() => {
    for (let v = from + 1; v <= SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v]!);
    }
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

export interface OpenWriterOptions {
  /** create the file (and its folder) when missing; default true */
  readonly create?: boolean;
  readonly busyTimeoutMs?: number;
}

/** `--db postgres://...` reaches a command that needs a file: say so without echoing the URL (it may hold a password). */
function refuseUrl(path: string): void {
  if (/^postgres(ql)?:\/\//i.test(path)) {
    throw new TapeError('this command needs a local tape file, not a PostgreSQL URL (the central tape is read by `tape` and `tape --json`; `tape ship` writes it)', ExitCode.usage);
  }
}

/** A writing connection: WAL, synchronous=FULL, busy timeout; creates and migrates our own files only. */
export function openWriter(path: string, opts: OpenWriterOptions = {}): Db {
  refuseUrl(path);
  const create = opts.create ?? true;
  const existed = existsSync(path);
  if (!existed && !create) throw new TapeError(`no tape at ${path}; ${HINT_START}`, ExitCode.noTape);
  if (existed) sniff(path);
  else mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let db: Db;
  try {
    db = new Database(path, { timeout: opts.busyTimeoutMs ?? 5000 });
  } catch (err) {
    explainSqliteError(err, path);
  }
  try {
    if (!existed) chmodSync(path, 0o600);
    checkSqliteVersion(db);
    const version = checkIdentity(db, path, true);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    if (version < SCHEMA_VERSION) migrate(db, version);
    return db;
  } catch (err) {
    db.close();
    explainSqliteError(err, path);
  }
}

/** A reading connection: read-only and query_only, never holding a transaction between reads. */
export function openReader(path: string): Db {
  refuseUrl(path);
  if (!existsSync(path)) throw new TapeError(`no tape at ${path}; ${HINT_START}`, ExitCode.noTape);
  sniff(path);
  let db: Db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
  } catch (err) {
    explainSqliteError(err, path);
  }
  try {
    db.pragma('query_only = 1');
    checkSqliteVersion(db);
    checkIdentity(db, path, false);
    return db;
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN') {
      // a WAL reader needs the -shm file beside the tape, and may have to create it
      throw new TapeError(`cannot read the tape ${path}: SQLite needs to create ${path}-shm beside it and the folder is not writable for this user; make the folder writable, or copy the tape somewhere writable`, ExitCode.unwritable);
    }
    explainSqliteError(err, path);
  }
}
