/**
 * `tape --json --db postgres://...` (and the plain mode): the organisation's tape, streamed
 * through the TapeSource interface. Called from read.ts when --db (or $TAPE_DB) is a URL.
 */
import type { ReadoutQueryOptions } from '../tape/queries.js';
import type { CentralPeriods } from '../tape/pg/queries.js';
import type { ReadoutSettings } from '../readouts/index.js';
import { openTapeSource } from '../tape/source.js';
import { streamSource } from '../tape/source-stream.js';
import { urlHasPassword } from '../tape/pg/connect.js';
import { callJson, objectJson } from '../tape/json.js';
import type { RowFilter } from '../tape/filter.js';
import { plainLine } from '../ui/plain.js';
import { LineOut } from './output.js';
import { onShutdown, untilStopped } from './lifecycle.js';

export interface CentralStreamOptions {
  readonly url: string;
  /** the URL came from the --db flag (visible in the process list) */
  readonly fromFlag: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly mode: 'json' | 'plain';
  readonly filter: RowFilter;
  readonly since?: number;
  readonly until?: number;
  readonly follow: boolean;
  readonly clock: () => number;
  readonly readouts: { everyMs: number; query: ReadoutQueryOptions; settings: ReadoutSettings } | null;
  /** the variance band's periods over the central tape */
  readonly centralPeriods?: CentralPeriods;
}

export async function streamCentral(o: CentralStreamOptions): Promise<number> {
  if (o.fromFlag && urlHasPassword(o.url)) {
    process.stderr.write('tape: warning: a password in --db shows in the process list; put it in $PGPASSWORD, ~/.pgpass or $TAPE_DB\n');
  }
  const source = await openTapeSource(o.url, { filter: o.filter, env: o.env, centralPeriods: o.centralPeriods });
  onShutdown(() => source.close());
  if (o.mode === 'plain') process.stderr.write(`tape: stdout is not a terminal: printing one plain line per call${o.follow ? ' as they arrive' : ''} (use --json for NDJSON)\n`);
  const out = new LineOut(process.stdout);
  const stopper = new AbortController();
  process.stdout.once('error', () => stopper.abort());
  await streamSource({
    source,
    since: o.since,
    until: o.until,
    follow: o.follow,
    format: o.mode === 'json' ? callJson : plainLine,
    out,
    clock: o.clock,
    readouts: o.readouts ? { ...o.readouts, format: objectJson } : null,
    stop: untilStopped(stopper.signal),
    onNotice: (t) => process.stderr.write(`tape: ${t}\n`),
  });
  return 0;
}
