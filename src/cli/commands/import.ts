import type { CommandModule } from 'yargs';
import { makeContext, type GlobalArgs } from '../context.js';
import { openWriter, explainSqliteError } from '../../tape/db.js';
import { TapeWriter } from '../../tape/writer.js';
import { readImportFile, ImportError, type ImportFormat } from '../../import/import-file.js';
import { TapeError, ExitCode } from '../../errors.js';
import { Progress } from '../progress.js';
import { onShutdown } from '../lifecycle.js';
import type { NewCall } from '../../tape/row.js';

interface ImportArgs extends GlobalArgs {
  files: string[];
  format?: ImportFormat;
  json?: boolean;
}

export interface ImportSummary {
  readonly files: number;
  readonly rows: number;
  readonly inserted: number;
  readonly duplicates: number;
}

/** Validates every file first, then writes all rows in one transaction: all of them or none. */
export function importFiles(a: ImportArgs): ImportSummary {
  const ctx = makeContext(a);
  const all: NewCall[] = [];
  try {
    for (const f of a.files) all.push(...readImportFile(f, a.format).calls);
  } catch (err) {
    if (err instanceof ImportError) throw new TapeError(`${err.message}; nothing was imported`, ExitCode.badInput);
    throw err;
  }
  const db = openWriter(ctx.paths.db);
  onShutdown(() => {
    db.close();
  });
  const writer = new TapeWriter(db, ctx.prices(), { path: ctx.paths.db, host: ctx.config.host ?? undefined });
  const bar = new Progress('import', all.length);
  let inserted = 0;
  let duplicates = 0;
  try {
    db.transaction(() => {
      for (let i = 0; i < all.length; i += 5000) {
        const r = writer.appendBatch(all.slice(i, i + 5000));
        inserted += r.inserted;
        duplicates += r.duplicates;
        bar.update(i + 5000, inserted);
      }
    }).immediate();
  } catch (err) {
    explainSqliteError(err, ctx.paths.db);
  }
  bar.finish(inserted);
  return { files: a.files.length, rows: all.length, inserted, duplicates };
}

export const importCommand: CommandModule<GlobalArgs, ImportArgs> = {
  command: 'import <files..>',
  describe: 'Append calls from NDJSON (the --json row format) or CSV (same column names) files',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'files to import' })
      .option('format', { choices: ['ndjson', 'csv'] as const, describe: 'file format (default: by extension or content)' })
      .option('json', { type: 'boolean', describe: 'print the summary as JSON' }) as never,
  handler: (a) => {
    const s = importFiles(a);
    if (a.json) process.stdout.write(JSON.stringify(s) + '\n');
    else process.stderr.write(`tape import: ${s.inserted.toLocaleString('en-US')} calls added, ${s.duplicates.toLocaleString('en-US')} already on the tape (known request_id), from ${s.files} file(s)\n`);
  },
};
