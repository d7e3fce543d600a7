import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, readJournal } from '../../src/proxy/journal.js';

/** Field 22 of /proc/<pid>/stat, as the journal's lock records it; null without /proc. */
function startTime(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

describe('the journal lock (one proxy per tape)', () => {
  let dir: string;
  let path: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tape-journal-'));
    mkdirSync(join(dir, 'state'), { mode: 0o700 });
    path = join(dir, 'state', 'proxy-journal-test.log');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const lockedBy = (content: string) => writeFileSync(`${path}.lock`, content, { mode: 0o600 });

  it('records this process in a private lock file and removes it on close', () => {
    const j = new Journal(path);
    const lock = readFileSync(`${path}.lock`, 'utf8');
    assert.equal(lock.split(' ')[0], String(process.pid));
    assert.equal(statSync(`${path}.lock`).mode & 0o077, 0);
    j.close();
    assert.equal(existsSync(`${path}.lock`), false);
  });

  it('refuses to start while the process that holds the lock still runs', () => {
    const started = startTime(process.ppid);
    lockedBy(started ? `${process.ppid} ${started}` : String(process.ppid));
    assert.throws(() => new Journal(path), /another tape proxy \(pid \d+\) is already writing this tape/);
    lockedBy(String(process.ppid)); // a lock written without a start time: a live pid counts
    assert.throws(() => new Journal(path), /already writing this tape/);
  });

  it('takes over a lock whose holder is gone', () => {
    lockedBy('2147483646 12345');
    new Journal(path).close();
  });

  it('takes over a lock whose pid now belongs to another process (recycled pid)', (t) => {
    if (startTime(process.ppid) === null) return t.skip('no /proc on this system');
    lockedBy(`${process.ppid} 1`);
    const j = new Journal(path);
    assert.equal(readFileSync(`${path}.lock`, 'utf8').split(' ')[0], String(process.pid));
    j.close();
  });

  it('replays the calls that never ended, with their last known status, id and model', () => {
    const j = new Journal(path);
    j.begin({ jid: 'a', ts: 1, provider: 'anthropic', project: 'p', model: null, status: 0, requestId: null });
    j.begin({ jid: 'b', ts: 2, provider: 'openai', project: 'p\tq', model: 'gpt-5', status: 0, requestId: null });
    j.model('a', 'claude\nx');
    j.head('a', 200, 'req_1');
    j.end('b');
    assert.deepEqual(readJournal(path), [{ jid: 'a', ts: 1, provider: 'anthropic', project: 'p', model: 'claudex', status: 200, requestId: 'req_1' }]);
    j.close();
  });
});
