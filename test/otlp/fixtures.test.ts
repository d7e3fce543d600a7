import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { harness, post, protobufOf, type Harness } from './helpers.js';

interface FixtureSpan {
  traceId: string;
  spanId: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status?: { code: number; message?: string };
  attributes: Record<string, unknown>;
}
interface Case {
  name: string;
  resource: Record<string, string>;
  spans: FixtureSpan[];
  expect: Record<string, unknown>[];
}

const FIXTURE = new URL('../../fixtures/otlp/instrumentations.json', import.meta.url);
const cases = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: Case[] }).cases;

function anyValue(v: unknown): Record<string, unknown> {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  throw new Error(`unsupported fixture value ${JSON.stringify(v)}`);
}
const kv = (o: Record<string, unknown>) => Object.entries(o).map(([key, v]) => ({ key, value: anyValue(v) }));

function request(c: Case) {
  return {
    resourceSpans: [
      {
        resource: { attributes: kv(c.resource) },
        scopeSpans: [{ scope: { name: 'fixture' }, spans: c.spans.map((s) => ({ ...s, name: 'span', kind: 3, attributes: kv(s.attributes), status: s.status ?? {} })) }],
      },
    ],
  };
}

for (const flavour of ['json', 'protobuf'] as const) {
  describe(`spans shaped like common instrumentations, sent as ${flavour}`, () => {
    let h: Harness;
    before(async () => {
      h = await harness();
    });
    after(() => h.close());

    for (const c of cases) {
      it(c.name, async () => {
        const before = h.rows().length;
        const req = request(c);
        const res =
          flavour === 'json'
            ? await post(h.url, JSON.stringify(req), { 'content-type': 'application/json' })
            : await post(h.url, protobufOf(req), { 'content-type': 'application/x-protobuf' });
        assert.equal(res.status, 200);
        const rows = h.rows().slice(before);
        assert.equal(rows.length, c.expect.length, 'one row per model call, none for other spans');
        c.expect.forEach((want, i) => {
          const row = rows[i]! as unknown as Record<string, unknown>;
          const got = Object.fromEntries(Object.keys(want).map((k) => [k, row[k]]));
          assert.deepEqual(got, want);
          if (row.flags === 0) assert.notEqual(row.cost_micros, null, `a known model with usage is priced (${row.model})`);
        });
      });
    }
  });
}
