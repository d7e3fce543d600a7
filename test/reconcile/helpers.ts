import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWriter, type Db } from '../../src/tape/db.js';
import { TapeWriter } from '../../src/tape/writer.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import type { NewCall } from '../../src/tape/row.js';

export const FIX = new URL('../../fixtures/reconcile/', import.meta.url).pathname;
export const DEC1 = Date.UTC(2026, 11, 1);
export const DEC2 = Date.UTC(2026, 11, 2);
export const DEC3 = Date.UTC(2026, 11, 3);
export const HOUR = 3_600_000;

export interface TempTape {
  readonly dir: string;
  readonly path: string;
  readonly db: Db;
  readonly prices: PriceBook;
  add(calls: Partial<NewCall>[]): void;
  file(name: string, text: string): string;
  cleanup(): void;
}

/** A temporary tape with rows written through the real writer (explicit costs: no price list involved). */
export function tempTape(): TempTape {
  const dir = mkdtempSync(join(tmpdir(), 'tape-rec-'));
  const path = join(dir, 'tape.db');
  const db = openWriter(path);
  const prices = new PriceBook();
  const writer = new TapeWriter(db, prices, { host: 'test' });
  return {
    dir,
    path,
    db,
    prices,
    add(calls) {
      writer.appendBatch(
        calls.map((c) => ({
          ts: DEC1,
          project: 'p',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5-20250929',
          input_tok: 10,
          output_tok: 10,
          duration_ms: 100,
          status: 200,
          source: 'test',
          price_version: 'test',
          ...c,
        })) as NewCall[],
      );
    },
    file(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    cleanup() {
      writer.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
