import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';
import { spawnSync } from 'node:child_process';
import { BIN, cliEnv, runCli, spawnCli, waitFor } from '../helpers/tape.js';
import { hostTape, calls, type HostTape } from './fixtures.js';
import { TapeQueries, type ReadoutQueryOptions } from '../../src/tape/queries.js';
import type { CallRow, NewCall } from '../../src/tape/row.js';
import { openTapeSource, type TapeSource } from '../../src/tape/source.js';
import { computeReadouts } from '../../src/readouts/index.js';
import type { RowFilter } from '../../src/tape/filter.js';

const NOW = Date.UTC(2026, 11, 3, 18, 30, 15, 500);
const HOUR = 3_600_000;

function asNew(r: CallRow): NewCall {
  const { id: _id, ...rest } = r;
  return { ...rest };
}

const QUERY: ReadoutQueryOptions = { windowSeconds: 90, budgetRateSeconds: 24 * 3600, budgetMicros: 5_000_000_000 };

describe('the organisation tape: readouts and stream over the central table', () => {
  let pg: PgCluster;
  let url: string;
  let a: HostTape;
  let b: HostTape;
  let union: HostTape;
  before(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase('org');
    a = hostTape('box-a');
    b = hostTape('box-b');
    union = hostTape('union');
    // from the end of November (month edge) to now, denser in the last 20 minutes
    const start = Date.UTC(2026, 10, 30, 20, 0, 0);
    a.writer.appendBatch(calls(1, 20_000, start, NOW - start - 20 * 60_000));
    a.writer.appendBatch(calls(2, 3_000, NOW - 20 * 60_000, 20 * 60_000 + 5_000));
    b.writer.appendBatch(calls(3, 15_000, start + 7_777, NOW - start - 20 * 60_000));
    b.writer.appendBatch(calls(4, 2_500, NOW - 20 * 60_000 + 333, 20 * 60_000 + 5_000));
    for (const t of [a, b]) union.writer.appendBatch((t.db.prepare('SELECT * FROM tape ORDER BY id').all() as CallRow[]).map(asNew));
    for (const t of [a, b]) {
      const env = cliEnv(t.dir, { TAPE_DB: t.path, TAPE_SHIP_TO: url });
      if (t === a) assert.equal(runCli(['ship', '--init'], env).status, 0);
      const r = runCli(['ship'], env);
      assert.equal(r.status, 0, r.stderr);
    }
  });
  after(() => {
    for (const t of [a, b, union]) t?.close();
    pg?.stop();
  });

  const filters: [string, RowFilter][] = [
    ['no filter', {}],
    ['a host filter', { host: ['box-b'] }],
    ['a project glob', { project: ['s*'] }],
    ['a model and a host glob', { model: ['claude-*'], host: ['box-*'] }],
  ];
  for (const [name, filter] of filters) {
    it(`gives the same readout inputs and readouts as the union of the local tapes, with ${name}`, async () => {
      const src: TapeSource = await openTapeSource(url, { filter });
      try {
        const local = new TapeQueries(union.db, filter);
        for (const now of [NOW, NOW - 7 * 60_000, NOW - 26 * HOUR + 1234, Date.UTC(2026, 11, 1, 0, 0, 0, 1)]) {
          const q = { ...QUERY, filter };
          const central = await src.readoutInputs(now, q);
          const expected = local.readoutInputs(now, q);
          assert.deepEqual(central, expected, `inputs at ${new Date(now).toISOString()}`);
          assert.deepEqual(computeReadouts(central), computeReadouts(expected));
        }
      } finally {
        await src.close();
      }
    });
  }

  it('streams one host of the central tape exactly as that box streams its own (--json --host)', () => {
    const env = cliEnv(b.dir, {});
    const big = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', maxBuffer: 256 << 20, timeout: 60_000 });
    const central = big(['--json', '--no-follow', '--db', url, '--host', 'box-b']);
    assert.equal(central.status, 0, central.stderr);
    assert.match(central.stderr, /process list/);
    assert.ok(!central.stderr.includes(pg.password));
    const own = big(['--json', '--no-follow', '--db', b.path]);
    assert.equal(own.status, 0, own.stderr);
    const got = central.stdout.trim().split('\n');
    const want = own.stdout.trim().split('\n');
    assert.equal(got.length, 17_500);
    const diff = want.findIndex((l, i) => l !== got[i]);
    assert.equal(diff, -1, `line ${diff + 1}:\n${got[diff]}\n${want[diff]}`);
  });

  it('prints the same readouts line from $TAPE_DB=postgres://... as from the union tape', () => {
    const at = new Date(NOW).toISOString();
    const args = ['--json', '--no-follow', '--since', new Date(NOW - 1000).toISOString(), '--now', at, '--readouts', '--budget', '5000'];
    const central = runCli(args, cliEnv(union.dir, { TAPE_DB: url }));
    assert.equal(central.status, 0, central.stderr);
    assert.ok(!central.stderr.includes('process list'));
    const local = runCli(args, cliEnv(union.dir, { TAPE_DB: union.path }));
    const last = (s: string) => s.trim().split('\n').at(-1);
    assert.equal(last(central.stdout), last(local.stdout));
    assert.equal(JSON.parse(last(central.stdout)!).type, 'readouts');
  });

  it('follows the central tape: a row shipped from one box shows on another within a second or so', async () => {
    const child = spawnCli(['--json', '--db', url, '--project', 'live-*'], cliEnv(union.dir, {}));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      // the reader is following once its first (empty) page is done: give it a moment by polling the central notify channel
      await new Promise((r) => setTimeout(r, 1500));
      a.writer.appendBatch([{ ...calls(99, 1, NOW, 1)[0]!, project: 'live-one', request_id: 'live-1' }]);
      const shipped = Date.now();
      const r = runCli(['ship'], cliEnv(a.dir, { TAPE_DB: a.path, TAPE_SHIP_TO: url }));
      assert.equal(r.status, 0, r.stderr);
      const line = await waitFor(() => out.split('\n').find((l) => l.includes('"live-one"')), 'the shipped row on the reader', 15_000);
      const row = JSON.parse(line);
      assert.equal(row.host, 'box-a');
      assert.equal(row.request_id, 'live-1');
      assert.ok(Date.now() - shipped < 15_000);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
