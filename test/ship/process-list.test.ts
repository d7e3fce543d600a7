import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactArgs } from '../../src/tape/pg/connect.js';
import { cliEnv, spawnCli, tempDir, waitFor } from '../helpers/tape.js';

describe('a password typed in a postgres:// flag leaves the process list', () => {
  it('masks the password of every postgres URL in a command line, and leaves other lines alone', () => {
    assert.deepEqual(redactArgs(['ship', '--to', 'postgres://u:hunter22@db.example.com/org', '--follow']),
      ['ship', '--to', 'postgres://u:***@db.example.com/org', '--follow']);
    assert.deepEqual(redactArgs(['--db=postgresql://me:p%40ss@127.0.0.1:5433/tape?sslmode=disable']),
      ['--db=postgresql://me:***@127.0.0.1:5433/tape?sslmode=disable']);
    assert.deepEqual(redactArgs(['--db', 'postgres://me@db/tape?password=hunter22&sslmode=verify-full']),
      ['--db', 'postgres://me@db/tape?password=***&sslmode=verify-full']);
    assert.equal(redactArgs(['--db', 'postgres://me@db.example.com/tape', '--json']), null);
    assert.equal(redactArgs(['report', '--since', '7d']), null);
  });

  it('is gone from /proc/PID/cmdline while tape ship runs', { skip: !existsSync('/proc/self/cmdline') && 'no /proc here' }, async () => {
    const t = tempDir();
    // port 1 on loopback refuses connections: a transient failure, so shipping keeps retrying
    const child = spawnCli(['ship', '--follow', '--to', 'postgres://u:canary-pw-4711@127.0.0.1:1/org'],
      cliEnv(t.dir, { TAPE_DB: join(t.dir, 'tape.db') }));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const cmdline = await waitFor(() => {
        const s = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
        return s.includes('tape ship') ? s : undefined;
      }, 'the masked command line');
      assert.ok(!cmdline.includes('canary-pw-4711'), cmdline);
      assert.match(cmdline, /postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/org/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      t.close();
    }
    assert.ok(!stderr.includes('canary-pw-4711'), stderr);
  });
});
