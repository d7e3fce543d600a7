import type { CommandModule } from 'yargs';
import { makeContext, type GlobalArgs } from '../context.js';
import { openWriter } from '../../tape/db.js';
import { onShutdown } from '../lifecycle.js';
import { Progress } from '../progress.js';
import { ExitCode, TapeError } from '../../errors.js';
import { priceDataPath } from '../../pricing/load.js';
import { checkFormat, loadBill, parseThreshold, priceListDate, type LoadedBill } from '../../reconcile/load.js';
import { storeBills } from '../../reconcile/store.js';
import { reconcile, type Diff } from '../../reconcile/diff.js';
import { localReconcileSource } from '../../reconcile/source.js';
import { openCentralReconcile } from '../../reconcile/central.js';
import { isPostgresUrl, urlHasPassword } from '../../tape/pg/connect.js';
import type { StoredFile } from '../../reconcile/store.js';
import { reconcileJson, reconcileTable } from '../../reconcile/render.js';
import { FORMATS } from '../../reconcile/types.js';
import { clockFrom } from './read.js';

interface ReconcileArgs extends GlobalArgs {
  files: string[];
  format?: string;
  threshold?: string;
  json?: boolean;
  now?: string;
}

/**
 * Validates every file, stores them in one transaction, prints the difference; 3 when beyond the
 * threshold. With --db postgres://... the bills go beside the organisation's tape (the central
 * invoice tables) and the diff reads the central tables.
 */
export async function runReconcile(a: ReconcileArgs): Promise<number> {
  const ctx = makeContext(a);
  const forced = checkFormat(a.format);
  const threshold = parseThreshold(a.threshold, ctx.config.varianceThreshold);
  const now = clockFrom(a.now)();
  if (a.files.length === 0) throw new TapeError('name at least one bill file: tape reconcile FILE...', ExitCode.usage);
  const prices = ctx.prices();
  const loaded: LoadedBill[] = a.files.map((f) => loadBill(f, forced, prices));
  const total = loaded.reduce((s, l) => s + l.bill.lines.length, 0);
  const options = { threshold, priceListMs: priceListDate(priceDataPath(ctx.paths.state)) };
  const bar = new Progress('reconcile', total, 'lines');
  let stored: StoredFile[];
  let diff: Diff;
  if (isPostgresUrl(ctx.paths.db)) {
    if (a.db !== undefined && urlHasPassword(a.db)) {
      process.stderr.write('tape: warning: a password in --db shows in the process list; put it in $PGPASSWORD, ~/.pgpass or $TAPE_DB\n');
    }
    const central = await openCentralReconcile(ctx.paths.db, ctx.env);
    onShutdown(() => central.close());
    try {
      stored = await central.store(loaded, prices.version, now, (done) => bar.update(done, done));
      bar.finish(total);
      diff = await reconcile(central.source, loaded.map((l) => l.bill), options);
    } finally {
      await central.close();
    }
  } else {
    const db = openWriter(ctx.paths.db);
    db.pragma('cache_size = -262144'); // 256 MB for this run: the invoice indexes and the request_id lookups
    onShutdown(() => {
      db.close();
    });
    stored = storeBills(db, loaded, prices.version, now, (done) => bar.update(done, done));
    bar.finish(total);
    diff = await reconcile(localReconcileSource(db), loaded.map((l) => l.bill), options);
  }
  process.stdout.write(a.json ? reconcileJson(stored, diff, threshold, now) + '\n' : reconcileTable(stored, diff, threshold));
  return diff.beyond > 0 ? ExitCode.variance : ExitCode.ok;
}

export const reconcileCommand: CommandModule<GlobalArgs, ReconcileArgs> = {
  command: 'reconcile <files..>',
  describe: 'Import what providers billed and show its difference from the tape, local or --db postgres://... (exit 3 beyond the threshold)',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'bill exports (CSV or JSON)' })
      .option('format', { type: 'string', describe: `bill format (default: detected): ${FORMATS.join(', ')}` })
      .option('threshold', { type: 'string', describe: 'variance beyond which a bucket fails, percent (default 0.5, or the config)' })
      .option('json', { type: 'boolean', describe: 'print one JSON document instead of the table' })
      .option('now', { type: 'string', describe: 'pin the clock (ISO-8601): the import time recorded' }) as never,
  handler: async (a) => {
    process.exitCode = await runReconcile(a);
  },
};
