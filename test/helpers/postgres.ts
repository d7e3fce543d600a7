/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a temp dir, a server on
 * 127.0.0.1 (free port) and a unix socket in the same dir, password auth (so redaction is tested
 * with a real secret), removed by `stop()`. As root the server runs as the `postgres` user.
 * If PostgreSQL cannot be found or started this throws: tests fail loudly, never skip.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

export interface PgCluster {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** the server's data and socket folder */
  readonly dir: string;
  /** postgres://tape:<password>@127.0.0.1:<port>/<db> */
  url(database?: string): string;
  /** creates a fresh database and returns its URL */
  createDatabase(name: string): Promise<string>;
  /** runs SQL as the superuser on a database, returns the rows */
  query<T = Record<string, unknown>>(database: string, sql: string, params?: unknown[]): Promise<T[]>;
  /** stops the server, keeping its data (for outage tests) */
  pause(): void;
  /** starts it again on the same port */
  resume(): void;
  /** stops the server and removes every file */
  stop(): void;
}

export interface StartOptions {
  /** keep fsync on (benchmarks); default off for speed */
  readonly fsync?: boolean;
  readonly maxConnections?: number;
}

/** initdb's folder: $PG_BIN, else the newest /usr/lib/postgresql/<ver>/bin, else initdb on the PATH. */
export function findPgBin(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join(root, v, 'bin'));
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) candidates.push(dirname(realpathSync(which.stdout.trim())));
  for (const dir of candidates) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error('PostgreSQL is not installed (no initdb found in $PG_BIN, /usr/lib/postgresql/*/bin or the PATH): apt-get install -y postgresql');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL binary, as `postgres` when we are root (the server refuses to run as root). */
function runPg(bin: string, args: string[], asUser: string | null): void {
  const cmd = asUser ? 'runuser' : bin;
  const argv = asUser ? ['-u', asUser, '--', bin, ...args] : args;
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    throw new Error(`${bin.split('/').pop()} ${args[0] ?? ''} failed (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim().slice(0, 2000)}`);
  }
}

function serverUser(): { name: string | null; uid: number; gid: number } {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { name: null, uid: -1, gid: -1 };
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('running as root but there is no `postgres` user to run the test server as (apt-get install -y postgresql creates it)');
  return { name: 'postgres', uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export async function startPostgres(opts: StartOptions = {}): Promise<PgCluster> {
  const bin = findPgBin();
  const who = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'tape-pg-'));
  chmodSync(dir, 0o700);
  if (who.name) chownSync(dir, who.uid, who.gid);
  const data = join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (who.name) chownSync(pwfile, who.uid, who.gid);
  const user = 'tape';
  let port = 0;
  const pgctl = join(bin, 'pg_ctl');
  const startServer = () => {
    const o = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses='127.0.0.1'", `-c fsync=${opts.fsync ? 'on' : 'off'}`,
      `-c max_connections=${opts.maxConnections ?? 100}`, '-c shared_buffers=128MB', '-c synchronous_commit=on'].join(' ');
    runPg(pgctl, ['start', '-w', '-t', '60', '-D', data, '-l', join(dir, 'log'), '-o', o], who.name);
  };
  try {
    runPg(join(bin, 'initdb'), ['-D', data, '-U', user, '-A', 'scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-sync', '--no-instructions'], who.name);
    port = await freePort();
    startServer();
  } catch (err) {
    const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').slice(-2000) : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot start a test PostgreSQL: ${(err as Error).message}${log ? `\nserver log:\n${log}` : ''}`);
  }
  let running = true;
  const url = (database = 'postgres') => `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  const query = async <T>(database: string, sql: string, params: unknown[] = []): Promise<T[]> => {
    const c = new pg.Client({ host: '127.0.0.1', port, user, password, database });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  };
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    dir,
    url,
    query,
    async createDatabase(name) {
      await query('postgres', `CREATE DATABASE "${name.replace(/"/g, '')}"`);
      return url(name);
    },
    pause() {
      if (!running) return;
      runPg(pgctl, ['stop', '-w', '-m', 'fast', '-D', data], who.name);
      running = false;
    },
    resume() {
      if (running) return;
      startServer();
      running = true;
    },
    stop() {
      try {
        if (running) runPg(pgctl, ['stop', '-w', '-m', 'immediate', '-D', data], who.name);
      } finally {
        running = false;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
