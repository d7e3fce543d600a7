import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { openWriter, type Db } from '../../src/tape/db.js';
import { TapeWriter } from '../../src/tape/writer.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import type { NewCall } from '../../src/tape/row.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/tape');

export interface TempTape {
  readonly dir: string;
  readonly path: string;
  readonly db: Db;
  readonly writer: TapeWriter;
  close(): void;
}

/** A fresh tape in a temp dir; `close()` removes it all. */
export function tempTape(prices = new PriceBook()): TempTape {
  const dir = mkdtempSync(join(tmpdir(), 'tape-test-'));
  const path = join(dir, 'tape.db');
  const db = openWriter(path);
  const writer = new TapeWriter(db, prices, { host: 'test-box', path });
  return {
    dir,
    path,
    db,
    writer,
    close() {
      writer.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function tempDir(): { dir: string; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tape-test-'));
  return { dir, close: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A call with sensible defaults; override what the test is about. */
export function call(over: Partial<NewCall> & { ts: number }): NewCall {
  return {
    project: 'proj',
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    input_tok: 1000,
    output_tok: 100,
    duration_ms: 500,
    status: 200,
    source: 'test',
    ...over,
  };
}

/** Environment for subprocesses: isolated XDG dirs, no colour. */
export function cliEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_STATE_HOME: join(dir, 'state'),
    NO_COLOR: '1',
    TZ: 'UTC',
    ...extra,
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', input, timeout: 60_000 });
}

/** Runs tape in a real pseudo-terminal (util-linux `script`): stdout and stderr both go to the terminal. */
export function inTerminal(args: string[], env: NodeJS.ProcessEnv): { status: number | null; screen: string } {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, screen: r.stdout };
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv) {
  return spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Polls `check` until it returns a value (not undefined/false) or the deadline passes. */
export async function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
