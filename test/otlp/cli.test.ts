import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { post, until, jsonRequest } from './helpers.js';
import { BIN, cliEnv } from '../helpers/tape.js';

describe('tape otlp (subprocess)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tape-otlp-cli-'));
  const ENV = cliEnv(dir);
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the port it bound, writes posted spans to --db, and stops cleanly on SIGTERM', async () => {
    const db = join(dir, 'tape.db');
    const child = spawn(process.execPath, [BIN, 'otlp', '--db', db, '--port', '0', '--project', 'cli-proj'], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const port = await until(() => /listening on http:\/\/127\.0\.0\.1:(\d+)\/v1\/traces/.exec(stderr)?.[1], 60_000, `the listening line (stderr: ${stderr})`);
    const body = JSON.stringify(jsonRequest([{ attrs: { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 31, 'gen_ai.usage.output_tokens': 4 } }]));
    const res = await post(`http://127.0.0.1:${port}/v1/traces`, body, { 'content-type': 'application/json' });
    assert.equal(res.status, 200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(stderr, /1 rows written/);
    const reader = new Database(db, { readonly: true });
    try {
      const rows = reader.prepare('SELECT project, provider, model, input_tok, output_tok, source FROM tape').all();
      assert.deepEqual(rows, [{ project: 'cli-proj', provider: 'openai', model: 'gpt-4o-mini', input_tok: 31, output_tok: 4, source: 'otlp' }]);
    } finally {
      reader.close();
    }
  });

  it('documents its options in --help', () => {
    const r = spawnSync(process.execPath, [BIN, 'otlp', '--help'], { env: ENV, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0);
    for (const s of ['tape otlp', 'OTLP/HTTP', '--port', '[default: 4318]', '--host', '--allow-remote', '--project', '--max-body-mib']) {
      assert.ok(r.stdout.includes(s), `help mentions ${s}`);
    }
  });

  it('refuses a non-loopback address unless told --allow-remote', () => {
    const r = spawnSync(process.execPath, [BIN, 'otlp', '--db', join(dir, 'x.db'), '--host', '0.0.0.0', '--port', '0'], { env: ENV, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0.*--allow-remote/);
  });
});
