// The screen over the central tape in a real terminal: tmux at 100x30 runs
// `tape --db postgres://user@host:port/db` (the password in $PGPASSWORD, never on the command
// line); another box ships a call, the server is stopped and started again underneath, q quits
// and the terminal is back on its primary screen.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';
import { BIN, call, cliEnv, runCli, waitFor } from '../helpers/tape.js';
import { hostTape, type HostTape } from '../ship/fixtures.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `tape-e2e-central-${process.pid}`;

describe('the central tape screen in tmux', { skip: hasTmux ? false : 'tmux is not installed' }, () => {
  let pg: PgCluster;
  let url: string;
  let box: HostTape;
  let env: NodeJS.ProcessEnv;
  let n = 0;

  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', SOCKET, ...args], { env, encoding: 'utf8' });
  const capture = (s: string) => tmux('capture-pane', '-p', '-t', s).stdout ?? '';
  const until = (s: string, test: (screen: string) => boolean, what: string) =>
    waitFor(() => (test(capture(s)) ? capture(s) : undefined), what, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}; screen:\n${capture(s)}`);
    });
  const ship = (project: string) => {
    box.writer.appendBatch([call({ ts: Date.now() - 100, project, model: 'claude-sonnet-4-5', cost_micros: 21_000, price_version: 'test@1', request_id: `central-e2e-${n++}` })]);
    const r = runCli(['ship'], cliEnv(box.dir, { TAPE_DB: box.path, TAPE_SHIP_TO: url }));
    assert.equal(r.status, 0, r.stderr);
  };

  before(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase('e2e');
    box = hostTape('box-e2e');
    assert.equal(runCli(['ship', '--init'], cliEnv(box.dir, { TAPE_DB: box.path, TAPE_SHIP_TO: url })).status, 0);
    env = { ...cliEnv(box.dir), TERM: 'xterm-256color', PGPASSWORD: pg.password };
    delete env.NO_COLOR;
  });
  after(() => {
    tmux('kill-server');
    box?.close();
    pg?.stop();
  });

  it('reads the central tape live, survives the server going away, and restores the terminal', async () => {
    const bare = `postgres://${pg.user}@127.0.0.1:${pg.port}/e2e`;
    const cmd = `printf 'BEFORE-TAPE\\n'; node ${BIN} --db ${bare}; echo "TAPE-EXITED $?"; sleep 600`;
    assert.equal(tmux('new-session', '-d', '-s', 'c', '-x', '100', '-y', '30', cmd).status, 0);
    await until('c', (t) => t.includes('waiting for the first call') && t.includes(`127.0.0.1:${pg.port}/e2e`), 'the empty central tape');
    assert.equal(tmux('display', '-p', '-t', 'c', '#{alternate_on}').stdout.trim(), '1');

    ship('central-one');
    const one = await until('c', (t) => t.includes('central-one'), 'a shipped call');
    assert.match(one, /central-one.*box-e2e/);
    assert.ok(!one.includes(pg.password));

    pg.pause();
    await until('c', (t) => t.includes('reading the tape failed, retrying'), 'the notice that the server is away');
    pg.resume();
    ship('central-two');
    await until('c', (t) => t.includes('central-two') && t.includes('central-one') && !t.includes('reading the tape failed'), 'reading resumed');

    tmux('send-keys', '-t', 'c', 'q');
    const end = await until('c', (t) => t.includes('TAPE-EXITED'), 'tape to exit');
    assert.ok(end.includes('TAPE-EXITED 0') && end.includes('BEFORE-TAPE') && !end.includes('RUN RATE'), end);
    assert.equal(tmux('display', '-p', '-t', 'c', '#{alternate_on}').stdout.trim(), '0');
  });
});
