/** Shared set-up for the shipping tests: local tapes with a given host, and central queries. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWriter, type Db } from '../../src/tape/db.js';
import { TapeWriter } from '../../src/tape/writer.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import type { NewCall } from '../../src/tape/row.js';
import { Rng } from '../../src/demo/random.js';

export interface HostTape {
  readonly dir: string;
  readonly path: string;
  readonly db: Db;
  readonly writer: TapeWriter;
  close(): void;
}

let book: PriceBook | null = null;

export function hostTape(host: string): HostTape {
  const dir = mkdtempSync(join(tmpdir(), `tape-ship-${host}-`));
  const path = join(dir, 'tape.db');
  const db = openWriter(path);
  book ??= new PriceBook();
  const writer = new TapeWriter(db, book, { host, path });
  return { dir, path, db, writer, close: () => { writer.close(); db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

const PROJECTS = ['sales-tool', 'underwriting', 'support-bot', 'research'];
const MODELS = ['claude-haiku-4-5', 'claude-opus-4-5', 'gpt-5', 'mystery-model'];

/** `n` seeded calls from `t0`, spread over `spanMs`; some unpriced, some errors, some flagged. */
export function calls(seed: number, n: number, t0: number, spanMs: number): NewCall[] {
  const rng = new Rng(seed);
  const out: NewCall[] = [];
  for (let i = 0; i < n; i++) {
    const model = MODELS[rng.int(0, MODELS.length - 1)]!;
    out.push({
      ts: t0 + Math.floor((i * spanMs) / n),
      project: PROJECTS[rng.int(0, PROJECTS.length - 1)]!,
      provider: model.startsWith('gpt') ? 'openai' : 'anthropic',
      model,
      input_tok: rng.int(10, 20000),
      output_tok: rng.int(1, 3000),
      cached_tok: 0,
      duration_ms: rng.int(50, 9000),
      cost_micros: model === 'mystery-model' ? null : rng.int(1, 200000),
      price_version: 'test@1',
      status: rng.chance(0.05) ? 529 : 200,
      flags: rng.chance(0.03) ? 2 : 0,
      request_id: rng.chance(0.8) ? `req-${seed}-${i}` : null,
      source: 'test',
    });
  }
  return out;
}

/** A stable signature of rows, for set comparison between local and central. */
const SIGNATURE_REST = 'project, provider, model, input_tok, output_tok, cost_micros, status, flags, request_id';
export const LOCAL_SIGNATURE = `host, id, ts, ${SIGNATURE_REST}`;
export const CENTRAL_SIGNATURE = `host, id, ts_ms AS ts, ${SIGNATURE_REST}`;
