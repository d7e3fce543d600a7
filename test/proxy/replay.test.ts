import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, rowView, send, type Harness } from './harness.js';
import { compress, isSse, replaySet, startUpstream, type Fixture } from './upstream.js';

const DEFAULT_PATH: Record<string, string> = {
  anthropic: '/anthropic/v1/messages',
  openai: '/openai/v1/chat/completions',
  gemini: '/gemini/v1beta/models/gemini-2.5-pro:generateContent',
};

function expected(fx: Fixture, seq: string): Record<string, unknown> {
  const e: Record<string, unknown> = { ...fx.expect, provider: fx.route === 'gemini' ? 'google' : fx.route, source: 'proxy' };
  if (typeof e.request_id === 'string') e.request_id = e.request_id.replaceAll('__SEQ__', seq);
  return e;
}

describe('every recorded provider response replayed through the proxy (fixtures/proxy or $TAPE_PROXY_FIXTURES)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({}, await startUpstream(replaySet()));
  });
  after(() => h.close());

  for (const variant of ['whole', 'tiny', 'tiny+gzip', 'whole+gzip', 'tiny+br', 'whole+br', 'whole+deflate'] as const) {
    it(`reaches the client byte for byte and gives the expected row (${variant})`, async () => {
      const [chunking, coding] = variant.split('+') as [string, string | undefined];
      for (const fx of h.upstream.fixtures.values()) {
        const n = h.upstream.calls.length;
        const r = await send(h.base, fx.path ?? DEFAULT_PATH[fx.route]!, {
          headers: { 'x-fixture': fx.name, 'x-chunking': chunking, ...(coding ? { 'x-compress': coding } : {}) },
          body: JSON.stringify(fx.request ?? { model: 'unknown' }),
        });
        const call = h.upstream.calls[n]!;
        const sent = h.upstream.bytesFor(fx.name, call.seq);
        assert.equal(r.error, null, fx.name);
        assert.equal(r.status, fx.status, fx.name);
        assert.deepEqual(r.body, coding ? await compress(sent, coding, isSse(fx)) : sent, `${fx.name}: bytes (compressed bytes untouched)`);
        if (coding) assert.equal(r.headers['content-encoding'], coding);
        const rows = await h.waitRows(n + 1);
        const want = expected(fx, call.seq);
        assert.deepEqual(rowView(rows[n]!, Object.keys(want)), want, `${fx.name} (${variant})`);
      }
    });
  }
});
