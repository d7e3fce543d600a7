import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from '../../src/proxy/sse.js';
import { ADAPTERS } from '../../src/proxy/adapters/index.js';
import { ResponseTap, tailUsage } from '../../src/proxy/tap.js';
import { loadFixtures } from './upstream.js';
import zlib from 'node:zlib';

function parse(chunks: Buffer[]): [string, string][] {
  const out: [string, string][] = [];
  const p = new SseParser((e, d) => out.push([e, d]));
  for (const c of chunks) p.push(c);
  p.end();
  return out;
}

function splitAt(buf: Buffer, points: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(buf.subarray(at, p));
    at = p;
  }
  out.push(buf.subarray(at));
  return out;
}

const sseFixtures = [...loadFixtures().values()].filter((f) => f.headers['content-type']?.startsWith('text/event-stream'));

describe('the SSE parser', () => {
  it('gives the same events whatever byte a stream is split at (inside UTF-8 characters and CRLFs too)', () => {
    for (const fx of sseFixtures) {
      const whole = parse([fx.body]);
      assert.ok(whole.length > 2, fx.name);
      for (let i = 0; i <= fx.body.length; i++) assert.deepEqual(parse(splitAt(fx.body, [i])), whole, `${fx.name} split at ${i}`);
      for (let i = 0; i + 1 <= fx.body.length; i += 7) assert.deepEqual(parse(splitAt(fx.body, [i, i + 1])), whole, `${fx.name} split at ${i},${i + 1}`);
      const bytes = [...fx.body].map((_, i) => fx.body.subarray(i, i + 1));
      assert.deepEqual(parse(bytes), whole, `${fx.name} one byte at a time`);
    }
  });

  it('decodes multi-byte characters split across chunks', () => {
    const body = Buffer.from('data: {"t":"é世🙂"}\r\n\r\n');
    const events = parse([...body].map((_, i) => body.subarray(i, i + 1)));
    assert.deepEqual(events, [['message', '{"t":"é世🙂"}']]);
  });

  it('accepts LF, CRLF and lone CR line endings, a BOM, comments and multi-line data', () => {
    const text = '\uFEFF: comment\revent: a\rdata: 1\r\rdata: x\ndata: y\n\nevent: b\r\ndata:2\r\n\r\nid: 9\nretry: 5\n\n';
    assert.deepEqual(parse([Buffer.from(text)]), [['a', '1'], ['message', 'x\ny'], ['b', '2']]);
    const b = Buffer.from(text);
    assert.deepEqual(parse([...b].map((_, i) => b.subarray(i, i + 1))), [['a', '1'], ['message', 'x\ny'], ['b', '2']]);
  });

  it('dispatches a final event that has no blank line (or no line ending) at the end, and survives a line past its limit', () => {
    assert.deepEqual(parse([Buffer.from('data: 1\n\ndata: 2\n')]), [['message', '1'], ['message', '2']]);
    assert.deepEqual(parse([Buffer.from('data: 1\r\n\r\nevent: stop\r\ndata: {"a":2}')]), [['message', '1'], ['stop', '{"a":2}']]);
    assert.deepEqual(parse([Buffer.from('data: 1\n\nevent: stop\n')]), [['message', '1']]);
    const out: string[] = [];
    const p = new SseParser((_e, d) => out.push(d), { maxLine: 16, maxData: 64 });
    p.push(Buffer.from('data: ' + 'x'.repeat(10)));
    p.push(Buffer.from('y'.repeat(20) + '\n\ndata: ok\n\n'));
    assert.equal(p.overflowed, true);
    assert.deepEqual(out, ['ok']);
  });
});

describe('the response tap', () => {
  it('reads usage from gzip, deflate and brotli copies without touching the forwarded bytes', async () => {
    const fx = loadFixtures().get('anthropic-stream-cache-1h')!;
    const adapter = ADAPTERS.find((a) => a.route === 'anthropic')!;
    for (const [enc, z] of [['gzip', zlib.gzipSync], ['deflate', zlib.deflateSync], ['br', zlib.brotliCompressSync]] as const) {
      const compressed = z(fx.body);
      const copy = Buffer.from(compressed);
      const obs = adapter.observer();
      const tap = new ResponseTap(obs, 'text/event-stream', enc);
      for (let i = 0; i < compressed.length; i += 5) tap.push(compressed.subarray(i, i + 5));
      await tap.finish();
      assert.deepEqual(compressed, copy);
      assert.equal(obs.seen.usage?.output_tok, 96, enc);
      assert.equal(obs.seen.terminal, true);
    }
  });

  it('marks an unknown encoding unreadable instead of guessing', async () => {
    const obs = ADAPTERS[0]!.observer();
    const tap = new ResponseTap(obs, 'application/json', 'zstd');
    tap.push(Buffer.from('garbage'));
    await tap.finish();
    assert.equal(tap.unreadable, true);
    assert.equal(obs.seen.usage, null);
  });

  it('finds the usage at the end of a body too large to parse whole', () => {
    const text = '{"object":"list","data":[' + '1,'.repeat(1000) + '1],"model":"m","usage":{"prompt_tokens":5,"total_tokens":5}}';
    assert.deepEqual(tailUsage(text.slice(500)), { usage: { prompt_tokens: 5, total_tokens: 5 } });
  });
});
