import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { tempDir, cliEnv, spawnCli, runCli, waitFor } from '../helpers/tape.js';

/** A local Anthropic stand-in: one Messages response, in the provider's JSON shape. */
function upstream(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_daemon_1' });
      res.end(JSON.stringify({
        id: 'msg_daemon_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5-20251001',
        content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
      }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

describe('tape daemon', () => {
  const d = tempDir();
  after(() => d.close());

  it('runs the proxy and the OTLP receiver on one tape, and stops cleanly on SIGTERM', async () => {
    const up = await upstream();
    const db = join(d.dir, 'tape.db');
    const child = spawnCli(['daemon', '--db', db, '--port', '0', '--otlp-port', '0', '--upstream', `anthropic=http://127.0.0.1:${up.port}`], cliEnv(d.dir));
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    try {
      const [proxyPort, otlpPort] = await waitFor(() => {
        const p = /tape proxy: listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(err)?.[1];
        const o = /tape otlp: listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(err)?.[1];
        return p && o ? [Number(p), Number(o)] : undefined;
      }, 'both listeners');
      const r = await fetch(`http://127.0.0.1:${proxyPort}/p/daemon-test/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-canary', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(r.status, 200);
      await r.text();
      const span = {
        resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ spans: [{
          traceId: '0123456789abcdef0123456789abcdef', spanId: '0123456789abcdef', name: 'chat', kind: 3,
          startTimeUnixNano: '1796320800000000000', endTimeUnixNano: '1796320801500000000',
          attributes: [
            { key: 'gen_ai.system', value: { stringValue: 'openai' } },
            { key: 'gen_ai.request.model', value: { stringValue: 'gpt-5' } },
            { key: 'gen_ai.usage.input_tokens', value: { intValue: '100' } },
            { key: 'gen_ai.usage.output_tokens', value: { intValue: '20' } },
            { key: 'llm.project', value: { stringValue: 'otel-test' } },
          ],
        }] }] }],
      };
      const o = await fetch(`http://127.0.0.1:${otlpPort}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(span) });
      assert.equal(o.status, 200);
      const rows = await waitFor(() => {
        const out = runCli(['--db', db, '--json', '--no-follow'], cliEnv(d.dir)).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
        return out.length >= 2 ? out : undefined;
      }, 'two rows');
      const bySource = Object.fromEntries(rows.map((x) => [x.source, x]));
      assert.equal(bySource.proxy.project, 'daemon-test');
      assert.equal(bySource.proxy.input_tok, 10);
      assert.equal(bySource.otlp.project, 'otel-test');
      assert.equal(bySource.otlp.output_tok, 20);
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise((res) => child.on('close', res));
      up.server.close();
      assert.equal(code, 0, err);
    }
  });
});
