import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/tape', import.meta.url).pathname;

describe('tape proxy on the command line', () => {
  let dir: string;
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8', timeout: 20_000,
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'c'), XDG_DATA_HOME: join(dir, 'd'), TAPE_STATE_DIR: join(dir, 's'), FORCE_COLOR: '0' },
  });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tape-proxy-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--print-env prints one line per SDK and nothing else', () => {
    const r = run(['proxy', '--print-env', '--port', '9999', '--project', 'web']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'ANTHROPIC_BASE_URL=http://127.0.0.1:9999/p/web/anthropic\nOPENAI_BASE_URL=http://127.0.0.1:9999/p/web/openai/v1\nGOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9999/p/web/gemini\n');
  });

  it('refuses a non-loopback address, a bad upstream and a bad project with exit code 2 and one line', () => {
    for (const [args, why] of [
      [['proxy', '--listen', '0.0.0.0', '--port', '0'], /refusing to listen on 0\.0\.0\.0/],
      [['proxy', '--upstream', 'nowhere=http://x', '--port', '0'], /unknown provider "nowhere"/],
      [['proxy', '--upstream', 'openai', '--port', '0'], /expected provider=URL/],
      [['proxy', '--project', 'a b', '--port', '0'], /project "a b"/],
      [['proxy', '--print-env', '--port', '0'], /--print-env needs the port/],
    ] as const) {
      const r = run([...args]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });

  it('--print-env without a project prints bare routes, and brackets an IPv6 loopback', () => {
    assert.equal(run(['proxy', '--print-env']).stdout, 'ANTHROPIC_BASE_URL=http://127.0.0.1:8787/anthropic\nOPENAI_BASE_URL=http://127.0.0.1:8787/openai/v1\nGOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8787/gemini\n');
    assert.match(run(['proxy', '--print-env', '--listen', '::1']).stdout, /^ANTHROPIC_BASE_URL=http:\/\/\[::1\]:8787\/anthropic$/m);
  });

  it('is listed in tape --help', () => {
    const r = run(['--help']);
    assert.match(r.stdout, /tape proxy/);
  });
});
