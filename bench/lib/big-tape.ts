import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openWriter } from '../../src/tape/db.js';
import { TapeWriter } from '../../src/tape/writer.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import type { NewCall } from '../../src/tape/row.js';

export const CACHE = new URL('../../.bench-cache', import.meta.url).pathname;

const MODELS: [string, string, number][] = [
  ['anthropic', 'claude-opus-4-5', 30_000],
  ['anthropic', 'claude-sonnet-4-5', 9_000],
  ['anthropic', 'claude-haiku-4-5', 1_500],
  ['openai', 'gpt-5', 12_000],
  ['google', 'gemini-2.5-flash', 800],
];

/** A synthetic call number i of n spread evenly over [start, end): explicit costs, so no pricing cost. */
export function syntheticCall(i: number, n: number, start: number, end: number): NewCall {
  const [provider, model, cost] = MODELS[i % MODELS.length]!;
  return {
    ts: start + Math.floor(((end - start) * i) / n),
    project: `project-${(i * 7919) % 23}`,
    provider,
    model,
    input_tok: 1000 + (i % 4000),
    output_tok: 100 + (i % 900),
    cached_tok: i % 3 === 0 ? 500 : 0,
    duration_ms: 200 + (i % 5000),
    cost_micros: i % 997 === 0 ? null : cost + (i % 100),
    price_version: 'bench@1',
    status: i % 50 === 0 ? 429 : 200,
    source: 'bench',
  };
}

/**
 * A tape of `rows` calls over the `days` ending at `end`, built once through the real writer
 * (schema, triggers, rollup) and cached under .bench-cache/ (git-ignored).
 */
export function bigTape(rows: number, days: number, end: number, log = (s: string) => process.stderr.write(s)): string {
  mkdirSync(CACHE, { recursive: true });
  const path = join(CACHE, `tape-${rows}-${days}d-${end}.db`);
  if (existsSync(path)) {
    openWriter(path).close(); // brings an older cached tape up to the current schema (rollups included)
    return path;
  }
  const tmp = `${path}.building`;
  for (const s of ['', '-wal', '-shm']) rmSync(tmp + s, { force: true });
  const db = openWriter(tmp);
  db.pragma('synchronous = OFF'); // a throwaway build: durability does not matter here
  const w = new TapeWriter(db, new PriceBook(), { host: 'bench' });
  const start = end - days * 86_400_000;
  const t0 = Date.now();
  const B = 10_000;
  for (let i = 0; i < rows; i += B) {
    const batch: NewCall[] = [];
    for (let j = i; j < Math.min(rows, i + B); j++) batch.push(syntheticCall(j, rows, start, end));
    db.transaction(() => w.appendBatch(batch))();
    if (i % 1_000_000 === 0) log(`  building ${path.split('/').pop()}: ${i.toLocaleString('en-US')} rows (${Math.round((Date.now() - t0) / 1000)} s)\n`);
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  renameSync(tmp, path);
  for (const s of ['-wal', '-shm']) rmSync(tmp + s, { force: true });
  return path;
}
