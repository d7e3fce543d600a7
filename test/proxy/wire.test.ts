import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startHarness, rowView, until, send, filesContaining, type Harness } from './harness.js';
import { resolveUpstreams } from '../../src/proxy/index.js';

describe('bytes through the proxy', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('forwards the request body untouched and drops hop-by-hop headers', async () => {
    const body = Buffer.concat([Buffer.from('{"model":"claude-x","pad":"'), Buffer.alloc(2 << 20, 0x61), Buffer.from('","z":"\u00e9"}')]);
    const before = h.upstream.calls.length;
    await send(h.base, '/anthropic/v1/messages', {
      body,
      headers: { 'x-fixture': 'anthropic-message-json', connection: 'keep-alive, x-hop', 'x-hop': 'secret', 'keep-alive': 'timeout=5', te: 'trailers', 'proxy-authorization': 'Basic abc', 'x-end-to-end': 'kept' },
    });
    const c = h.upstream.calls[before]!;
    assert.deepEqual(c.body, body);
    for (const k of ['x-hop', 'keep-alive', 'te', 'proxy-authorization', 'x-tape-project']) assert.equal(c.headers[k], undefined, k);
    assert.equal(c.headers['x-end-to-end'], 'kept');
  });
});

describe('backpressure', () => {
  it('a client that stops reading slows the upstream down instead of filling the proxy\'s memory', async () => {
    const chunk = Buffer.from(`data: {"pad":"${'x'.repeat(65_000)}"}\n\n`);
    let written = 0;
    let stop = false;
    const firehose = http.createServer((q, s) => {
      q.resume();
      s.writeHead(200, { 'content-type': 'text/event-stream' });
      const pump = () => {
        while (!stop && written < 256 << 20) {
          written += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.destroy();
      };
      pump();
    });
    await new Promise<void>((r) => firehose.listen(0, '127.0.0.1', r));
    const h2 = await startHarness({ upstreams: resolveUpstreams({}, [`openai=http://127.0.0.1:${(firehose.address() as AddressInfo).port}`]) });
    try {
      const req = http.request(`${h2.base}/openai/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      const res = await new Promise<http.IncomingMessage>((r) => {
        req.on('response', r);
        req.end('{"model":"gpt-5","messages":[],"stream":true}');
      });
      res.pause(); // never read
      // wait until the upstream is stuck (nothing more written for 300 ms), then look at how far it got
      for (let last = -1; written !== last; ) {
        last = written;
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.ok(written < 64 << 20, `the upstream wrote ${(written / 1048576).toFixed(1)} MiB to a client that reads nothing (socket buffers only)`);
      req.destroy();
      const [row] = await h2.waitRows(1);
      assert.deepEqual(rowView(row!, ['status', 'flags']), { status: 499, flags: ['usage_missing', 'client_aborted'] });
    } finally {
      stop = true;
      await h2.close();
      firehose.closeAllConnections();
      await new Promise<void>((r) => firehose.close(() => r()));
    }
  });
});

describe('calls that go wrong still get their rows', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('a stream cut by the upstream: the client sees the cut, the row keeps what was seen, unpriced', async () => {
    for (const how of ['x-cut-after', 'x-reset-after']) {
      const n = h.rows().length;
      const r = await send(h.base, '/anthropic/v1/messages', { headers: { 'x-fixture': 'anthropic-stream-cache-1h', [how]: '900' } });
      assert.notEqual(r.error, null, 'the client must not see a clean end');
      const [row] = (await h.waitRows(n + 1)).slice(n);
      assert.deepEqual(rowView(row!, ['status', 'input_tok', 'output_tok', 'cache_write_1h_tok', 'cost_micros', 'flags']), {
        status: 200, input_tok: 2520, output_tok: 2, cache_write_1h_tok: 2048, cost_micros: null, flags: ['usage_missing', 'stream_cut'],
      }, how);
    }
  });

  it('a client that hangs up mid-stream: status 499, flagged, and the upstream call is cancelled', async () => {
    const n = h.rows().length;
    const calls = h.upstream.calls.length;
    const r = await send(h.base, '/anthropic/v1/messages', { headers: { 'x-fixture': 'anthropic-stream-cache-1h', 'x-slow-ms': '40' }, abortAfterBytes: 10 });
    assert.notEqual(r.error, null);
    const [row] = (await h.waitRows(n + 1)).slice(n);
    assert.deepEqual(rowView(row!, ['status', 'flags', 'cost_micros', 'model']), { status: 499, flags: ['usage_missing', 'client_aborted'], cost_micros: null, model: 'claude-opus-4-5-20251101' });
    await until(() => h.upstream.calls.length === calls + 1, 2000, 'the upstream call');
    await new Promise((r2) => setTimeout(r2, 400));
    assert.equal(h.upstream.calls[calls]!.completed, false, 'the upstream stream was stopped');
  });

  it('a client that hangs up once the stream has said its last word: the call is complete, priced, not flagged', async () => {
    for (const fixture of ['anthropic-stream-cache-1h', 'openai-chat-stream-usage', 'openai-responses-stream', 'gemini-stream-sse']) {
      const n = h.rows().length;
      const calls = h.upstream.calls.length;
      const fx = h.upstream.fixtures.get(fixture)!;
      const whole = h.upstream.bytesFor(fixture, String(calls + 1).padStart(6, '0')).length;
      const r = await send(h.base, fx.path!, { headers: { 'x-fixture': fixture, 'x-chunking': 'tiny', 'x-hold-ms': '5000' }, body: JSON.stringify(fx.request), abortAfterBytes: whole });
      assert.notEqual(r.error, null, 'the client hung up before the end of the body');
      const [row] = (await h.waitRows(n + 1)).slice(n);
      assert.equal(h.upstream.calls[calls]!.completed, false);
      const want = { ...fx.expect, request_id: String(fx.expect.request_id).replaceAll('__SEQ__', h.upstream.calls[calls]!.seq) };
      assert.deepEqual(rowView(row!, Object.keys(want)), want, fixture);
      assert.ok(row!.cost_micros! > 0, `${fixture}: priced`);
    }
  });

  it('a connection reset before any response: 502 to the client, one upstream call, never retried', async () => {
    const n = h.rows().length;
    const calls = h.upstream.calls.length;
    const r = await send(h.base, '/openai/v1/chat/completions', { headers: { 'x-reset-before-head': '1' }, body: '{"model":"gpt-5","messages":[]}' });
    assert.equal(r.status, 502);
    const [row] = (await h.waitRows(n + 1)).slice(n);
    assert.deepEqual(rowView(row!, ['status', 'flags', 'cost_micros', 'model']), { status: 502, flags: ['usage_missing', 'upstream_unreachable'], cost_micros: null, model: 'gpt-5' });
    await new Promise((r2) => setTimeout(r2, 200));
    assert.equal(h.upstream.calls.length, calls + 1);
  });

  it('an upstream that refuses connections: 502, flagged upstream_unreachable, not billed', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const h2 = await startHarness({ upstreams: resolveUpstreams({}, [`openai=http://127.0.0.1:${port}`]) });
    try {
      const r = await send(h2.base, '/openai/v1/chat/completions', { body: '{"model":"gpt-5","messages":[]}' });
      assert.equal(r.status, 502);
      assert.match(r.body.toString(), /cannot reach the openai upstream \(ECONNREFUSED\)/);
      const [row] = await h2.waitRows(1);
      assert.deepEqual(rowView(row!, ['status', 'flags', 'cost_micros']), { status: 502, flags: ['upstream_unreachable'], cost_micros: 0 });
    } finally {
      await h2.close();
    }
  });

  it('a replayed response with an id the tape already holds still gets its own row', async () => {
    const fixed = http.createServer((_q, s) => {
      _q.resume();
      _q.on('end', () => {
        s.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_fixed' });
        s.end('{"type":"message","id":"msg_fixed","model":"claude-haiku-4-5","usage":{"input_tokens":5,"output_tokens":2}}');
      });
    });
    await new Promise<void>((r) => fixed.listen(0, '127.0.0.1', r));
    const h2 = await startHarness({ upstreams: resolveUpstreams({}, [`anthropic=http://127.0.0.1:${(fixed.address() as AddressInfo).port}`]) });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await send(h2.base, '/anthropic/v1/messages')).status, 200);
      const rows = await h2.waitRows(3);
      assert.deepEqual(rows.map((r) => [r.request_id, r.input_tok]), [['req_fixed', 5], [null, 5], [null, 5]]);
    } finally {
      await h2.close();
      await new Promise<void>((r) => fixed.close(() => r()));
    }
  });

  it('a long stream is not cut by any idle timeout while a client that never sends its headers is dropped', async () => {
    const h2 = await startHarness({ headersTimeoutMs: 300 });
    try {
      const sock = net.connect(h2.proxy.port, '127.0.0.1');
      sock.write('POST /anthropic/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      sock.resume();
      const closedAt = await new Promise<number>((r) => sock.on('close', () => r(Date.now())));
      assert.ok(closedAt > 0);
      const r = await send(h2.base, '/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', { headers: { 'x-fixture': 'gemini-stream-sse', 'x-slow-ms': '450' } });
      assert.equal(r.error, null);
      const [row] = await h2.waitRows(1);
      assert.deepEqual(rowView(row!, ['output_tok', 'flags']), { output_tok: 151, flags: [] });
      assert.ok(row!.duration_ms >= 900, `duration ${row!.duration_ms} ms covers the whole stream`);
    } finally {
      await h2.close();
    }
  });
});

describe('safety', () => {
  let h: Harness;
  let trap: http.Server;
  let trapHits = 0;
  let trapPort = 0;
  before(async () => {
    h = await startHarness();
    trap = http.createServer((_q, s) => {
      trapHits++;
      s.end('trapped');
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
    trapPort = (trap.address() as AddressInfo).port;
  });
  after(async () => {
    await h.close();
    await new Promise<void>((r) => trap.close(() => r()));
  });

  it('refuses Host headers other than its own loopback names (DNS rebinding)', async () => {
    const calls = h.upstream.calls.length;
    for (const host of ['evil.example', `evil.example:${h.proxy.port}`, `127.0.0.1:${trapPort}`]) {
      const r = await send(h.base, '/anthropic/v1/messages', { headers: { host, 'x-fixture': 'anthropic-message-json' } });
      assert.equal(r.status, 421, host);
    }
    for (const host of [`localhost:${h.proxy.port}`, `127.0.0.1:${h.proxy.port}`]) {
      const r = await send(h.base, '/anthropic/v1/messages', { headers: { host, 'x-fixture': 'anthropic-message-json' } });
      assert.equal(r.status, 200, host);
    }
    assert.equal(h.upstream.calls.length, calls + 2);
  });

  it('sends no request anywhere but the configured upstream, whatever the path, headers, query or body say', async () => {
    const raw = async (target: string, extra = '', body = '{}') => {
      const sock = net.connect(h.proxy.port, '127.0.0.1');
      sock.write(`POST ${target} HTTP/1.1\r\nHost: 127.0.0.1:${h.proxy.port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n${extra}\r\n${body}`);
      return new Promise<string>((r) => {
        let out = '';
        sock.on('data', (d) => (out += d));
        sock.on('close', () => r(out));
      });
    };
    const calls = h.upstream.calls.length;
    // dot-segments (plain and encoded), encoded slashes and backslashes, absolute-form and
    // authority-form targets, sent byte for byte (a URL library would normalise them away)
    for (const target of ['/anthropic/../openai/v1/chat/completions', '/anthropic/%2e%2e/%2e%2e/x', '/anthropic/v1/..%2f..%2fmessages', '/anthropic/v1%5c..%5cmessages',
      '/anthropic/v1\\..\\messages', '/p/..%2f/anthropic/v1/messages', '/anthropic/./v1/messages', `http://127.0.0.1:${trapPort}/v1/messages`, `//127.0.0.1:${trapPort}/v1/messages`, `127.0.0.1:${trapPort}`]) {
      assert.match(await raw(target), /^HTTP\/1\.1 400/, target);
    }
    assert.match(await raw('/nowhere'), /^HTTP\/1\.1 404/);
    assert.equal(h.upstream.calls.length, calls, 'none of those reached the upstream');
    // a query, forwarding headers or a body field naming another host change nothing
    assert.match(await raw(`/anthropic/v1/messages?base_url=http://127.0.0.1:${trapPort}`, 'x-fixture: anthropic-message-json\r\n'), /^HTTP\/1\.1 200/);
    assert.match(await raw('/anthropic/v1/messages', `x-fixture: anthropic-message-json\r\nx-forwarded-host: 127.0.0.1:${trapPort}\r\nforwarded: host=127.0.0.1:${trapPort}\r\n`, `{"base_url":"http://127.0.0.1:${trapPort}"}`), /^HTTP\/1\.1 200/);
    assert.equal(h.upstream.calls.length, calls + 2);
    for (const c of h.upstream.calls.slice(calls)) assert.ok(c.url.startsWith('/v1/messages'), c.url);
    // a redirect from the upstream is passed to the client, not followed
    const redirector = http.createServer((_q, s) => {
      s.writeHead(307, { location: `http://127.0.0.1:${trapPort}/v1/messages` });
      s.end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    const h3 = await startHarness({ upstreams: resolveUpstreams({}, [`anthropic=http://127.0.0.1:${(redirector.address() as AddressInfo).port}`]) });
    const r = await send(h3.base, '/anthropic/v1/messages');
    assert.equal(r.status, 307);
    await h3.close();
    await new Promise<void>((r2) => redirector.close(() => r2()));
    assert.equal(trapHits, 0, 'no request reached another port');
  });

  it('writes no API key passed in the query string (?key=, as older Gemini clients do) anywhere', async () => {
    const key = 'AIzaCANARYqueryKEY0123456789abcdefghij';
    const n = h.rows().length;
    const r = await send(h.base, `/gemini/v1beta/models/gemini-2.5-pro:generateContent?key=${key}`, { headers: { 'x-fixture': 'gemini-generate-json' } });
    assert.equal(r.status, 200);
    await h.waitRows(n + 1);
    assert.ok(h.upstream.calls.at(-1)!.url.endsWith(`?key=${key}`), 'the query reaches the upstream untouched');
    assert.deepEqual(filesContaining(h.dir, key), []);
    assert.ok(!h.logs.join('\n').includes(key));
  });

  it('refuses to listen beyond loopback unless told explicitly', async () => {
    await assert.rejects(startHarness({ listen: '0.0.0.0' }), /refusing to listen on 0\.0\.0\.0/);
  });
});
