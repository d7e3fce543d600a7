import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { NewCall } from '../tape/row.js';
import { readCsv, InputError, type CsvRecord } from '../reconcile/csv.js';
import { toCall } from './call-record.js';

export type ImportFormat = 'ndjson' | 'csv';

export class ImportError extends Error {}

/** The format by extension, else by the first character of the content. */
export function detectFormat(path: string, text: string): ImportFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return 'ndjson';
  const first = text.replace(/^\uFEFF/, '').trimStart()[0];
  return first === '{' ? 'ndjson' : 'csv';
}

/** Records of a file as [line, record] pairs; readouts lines of a `tape --json --readouts` dump are skipped. */
function* records(path: string, text: string, format: ImportFormat): Generator<[number, Record<string, unknown>]> {
  if (format === 'ndjson') {
    const lines = text.replace(/^\uFEFF/, '').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!.replace(/\r$/, '');
      if (raw.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(raw);
      } catch (err) {
        throw new ImportError(`${path}:${i + 1}: not valid JSON (${(err as Error).message})`);
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new ImportError(`${path}:${i + 1}: expected a JSON object`);
      const type = (obj as { type?: unknown }).type;
      if (type === 'readouts') continue;
      if (type !== undefined && type !== 'call') throw new ImportError(`${path}:${i + 1}: unknown line type ${JSON.stringify(type)} (expected "call")`);
      yield [i + 1, obj as Record<string, unknown>];
    }
    return;
  }
  const recs: CsvRecord[] = [];
  try {
    readCsv(text, (r) => recs.push(r));
  } catch (err) {
    if (err instanceof InputError) throw new ImportError(`${path}:${err.line}:${err.column}: ${err.reason}`);
    throw err;
  }
  const head = recs[0];
  if (!head) throw new ImportError(`${path}: empty file (expected a header line)`);
  const header = head.fields.map((h) => h.trim());
  for (const need of ['project', 'provider', 'model', 'input_tok', 'output_tok', 'duration_ms', 'status']) {
    if (!header.includes(need)) throw new ImportError(`${path}:${head.line}: the header has no "${need}" column (columns are the --json field names)`);
  }
  if (!header.includes('ts') && !header.includes('ts_ms')) throw new ImportError(`${path}:${head.line}: the header needs a "ts" or "ts_ms" column`);
  for (const rec of recs.slice(1)) {
    const obj: Record<string, unknown> = {};
    header.forEach((h, i) => (obj[h] = rec.fields[i]));
    yield [rec.line, obj];
  }
}

/** Every call of a file, validated; the first bad line throws `FILE:LINE: reason` and nothing is returned. */
export function readImportFile(path: string, format?: ImportFormat): { calls: NewCall[]; format: ImportFormat } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ImportError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const fmt = format ?? detectFormat(path, text);
  const calls: NewCall[] = [];
  for (const [line, rec] of records(path, text, fmt)) {
    try {
      calls.push(toCall(rec, `import:${fmt}`));
    } catch (err) {
      throw new ImportError(`${path}:${line}: ${(err as Error).message}`);
    }
  }
  return { calls, format: fmt };
}
