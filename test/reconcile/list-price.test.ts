import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadBill } from '../../src/reconcile/load.js';
import { storeBills } from '../../src/reconcile/store.js';
import { reconcile } from '../../src/reconcile/diff.js';
import { localReconcileSource } from '../../src/reconcile/source.js';
import { DEC1, DEC2, HOUR, tempTape, type TempTape } from './helpers.js';

/**
 * End to end, per format: a tape priced at list price, and a bill in each provider's format
 * written from that tape (amounts in the format's own unit, model names as the bill names them).
 * Every bucket agrees to the micro-dollar; one bucket made 2% dearer is the one bucket named.
 */
const NOW = Date.UTC(2026, 11, 10);
const DAYS = [DEC1, DEC2];
const DATED: Record<string, string> = {
  'claude-opus-4-5': 'claude-opus-4-5-20251101',
  'claude-sonnet-4-5': 'claude-sonnet-4-5-20250929',
  'claude-sonnet-4-0': 'claude-sonnet-4-20250514',
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'openai/gpt-4.1': 'openai/gpt-4.1-2025-04-14',
};
const CONSOLE: Record<string, string> = { 'claude-opus-4-5': 'Claude Opus 4.5', 'claude-sonnet-4-5': 'Claude Sonnet 4.5', 'claude-sonnet-4-0': 'Claude Sonnet 4' };

interface Group { day: number; model: string; micros: number; calls: number; inp: number; out: number; cached: number; cw: number; cw1h: number }
interface Row { ts: number; provider: string; model: string; input_tok: number; output_tok: number; cached_tok: number; cache_write_tok: number; cache_write_1h_tok: number; cost_micros: number; request_id: string }

function listPricedTape(): TempTape {
  const t = tempTape();
  const calls = [];
  for (const day of DAYS) {
    for (let i = 0; i < 12; i++) {
      const at = day + i * HOUR + i * 61_000;
      const base = { project: i % 2 ? 'sales' : 'ops', price_version: undefined };
      calls.push(
        { ...base, ts: at, provider: 'anthropic', model: 'claude-opus-4-5', input_tok: 12_000 + i, output_tok: 800, cached_tok: 4_000, cache_write_tok: 1_000, cache_write_1h_tok: 400, request_id: `msg-${day}-${i}-a` },
        { ...base, ts: at + 1, provider: 'anthropic', model: 'claude-sonnet-4-5', input_tok: 40_000 + i, output_tok: 900, cached_tok: 30_000, request_id: `msg-${day}-${i}-b` },
        { ...base, ts: at + 2, provider: 'anthropic', model: 'claude-sonnet-4-0', input_tok: 3_000, output_tok: 100, request_id: `msg-${day}-${i}-c` },
        { ...base, ts: at + 3, provider: 'openai', model: 'gpt-4o', input_tok: 9_000 + i, output_tok: 700, cached_tok: 2_048, request_id: `chatcmpl-${day}-${i}-a` },
        { ...base, ts: at + 4, provider: 'openai', model: 'gpt-4o-mini', input_tok: 20_000, output_tok: 1_500 + i, request_id: `chatcmpl-${day}-${i}-b` },
        { ...base, ts: at + 5, provider: 'openrouter', model: 'openai/gpt-4.1', input_tok: 1_000 + i, output_tok: 200, request_id: `gen-${day}-${i}` },
      );
    }
  }
  t.add(calls);
  return t;
}

function rowsOf(t: TempTape): Row[] {
  return t.db.prepare('SELECT ts, provider, model, input_tok, output_tok, cached_tok, cache_write_tok, cache_write_1h_tok, cost_micros, request_id FROM tape ORDER BY id').all() as Row[];
}

function groups(rows: readonly Row[], provider: string, dearer: boolean): Group[] {
  const m = new Map<string, Group>();
  for (const r of rows) {
    if (r.provider !== provider) continue;
    const day = Math.floor(r.ts / 86_400_000) * 86_400_000;
    const k = `${day}|${r.model}`;
    const g = m.get(k) ?? { day, model: r.model, micros: 0, calls: 0, inp: 0, out: 0, cached: 0, cw: 0, cw1h: 0 };
    g.micros += r.cost_micros;
    g.calls++;
    g.inp += r.input_tok;
    g.out += r.output_tok;
    g.cached += r.cached_tok;
    g.cw += r.cache_write_tok;
    g.cw1h += r.cache_write_1h_tok;
    m.set(k, g);
  }
  const list = [...m.values()];
  if (dearer) {
    const g = list.find((x) => x.day === DEC2)!;
    g.micros = Math.round(g.micros * 1.02);
    g.out *= 2; // the usage reports' version of "dearer"
  }
  return list;
}

const decimal = (units: number, places: number) => {
  const s = String(units).padStart(places + 1, '0');
  return `${s.slice(0, -places)}.${s.slice(-places)}`;
};
const dollars = (micros: number) => decimal(micros, 6);
const cents = (micros: number) => decimal(micros, 4); // 1 cent = 10,000 micro-USD
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const unix = (ms: number) => ms / 1000;
const DAY = 86_400_000;

/** Each format's bill, as text, from the tape's rows. */
function bills(rows: readonly Row[], dearer: boolean): Record<string, string> {
  const a = groups(rows, 'anthropic', dearer);
  const o = groups(rows, 'openai', dearer);
  const or = rows.filter((r) => r.provider === 'openrouter');
  const orCost = (r: Row, k: number) => (dearer && k === or.findIndex((x) => x.ts >= DEC2) ? Math.round(r.cost_micros * 1.5) : r.cost_micros);
  const orGroups = groups(rows, 'openrouter', dearer);
  const page = (data: unknown[]) => JSON.stringify({ data, has_more: false, next_page: null }, null, 2);
  return {
    'anthropic-cost-report.json': page(DAYS.map((d) => ({
      starting_at: iso(d), ending_at: iso(d + DAY),
      results: a.filter((g) => g.day === d).flatMap((g) => {
        const input = Math.floor(g.micros / 3);
        return ([[input, 'uncached_input_tokens', 'Input Tokens'], [g.micros - input, 'output_tokens', 'Output Tokens']] as const).map(([m, tokenType, what]) => ({
          amount: cents(m), context_window: '0-200k', cost_type: 'tokens', currency: 'USD', description: `${CONSOLE[g.model]} Usage - ${what}`,
          model: DATED[g.model], service_tier: 'standard', token_type: tokenType, workspace_id: null,
        }));
      }),
    }))),
    'anthropic-usage-report.json': page(DAYS.map((d) => ({
      starting_at: iso(d), ending_at: iso(d + DAY),
      results: a.filter((g) => g.day === d).map((g) => ({
        api_key_id: null, cache_creation: { ephemeral_1h_input_tokens: g.cw1h, ephemeral_5m_input_tokens: g.cw - g.cw1h }, cache_read_input_tokens: g.cached,
        context_window: '0-200k', model: DATED[g.model], output_tokens: g.out, server_tool_use: { web_search_requests: 0 }, service_tier: 'standard',
        uncached_input_tokens: g.inp - g.cached - g.cw, workspace_id: null,
      })),
    }))),
    'anthropic-console.csv': '\ufeffusage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,cost_type,inference_geo,speed,api_key_id,api_key_status\r\n' +
      a.map((g) => `${iso(g.day).slice(0, 10)},${CONSOLE[g.model]},Default,prod-key,message,≤ 200k,output,${dollars(g.micros)},${dollars(g.micros)},token,not_available,,apikey_01AAA,active\r\n`).join(''),
    'openai-costs.json': `{"object":"page","data":[${DAYS.map((d) => `{"object":"bucket","start_time":${unix(d)},"end_time":${unix(d + DAY)},"results":[${o.filter((g) => g.day === d).map((g) => `{"object":"organization.costs.result","amount":{"value":${dollars(g.micros)},"currency":"usd"},"line_item":"${DATED[g.model]}, input","project_id":null}`).join(',')}]}`).join(',')}],"has_more":false,"next_page":null}`,
    'openai-usage.json': JSON.stringify({ object: 'page', has_more: false, next_page: null, data: DAYS.map((d) => ({
      object: 'bucket', start_time: unix(d), end_time: unix(d + DAY),
      results: o.filter((g) => g.day === d).map((g) => ({ object: 'organization.usage.completions.result', input_tokens: g.inp, output_tokens: g.out, input_cached_tokens: g.cached, input_audio_tokens: 0, output_audio_tokens: 0, num_model_requests: g.calls, project_id: null, user_id: null, api_key_id: null, model: DATED[g.model], batch: false })),
    })) }),
    'openai-dashboard.csv': 'start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name\n' +
      o.map((g) => `${unix(g.day)},${unix(g.day + DAY)},${iso(g.day).replace('Z', '+00:00')},${iso(g.day + DAY).replace('Z', '+00:00')},${dollars(g.micros)}0000000000,usd,"${DATED[g.model]}, input",,org-1,Acme\n`).join('') +
      `${unix(DEC2 + DAY)},${unix(DEC2 + 2 * DAY)},${iso(DEC2 + DAY).replace('Z', '+00:00')},${iso(DEC2 + 2 * DAY).replace('Z', '+00:00')},,,,,,\n`,
    'openrouter.csv': 'generation_id,created_at,cost_total,cost_web_search,cost_cache,byok_usage_inference,tokens_prompt,tokens_completion,tokens_reasoning,tokens_cached,model_permaslug,provider_name\n' +
      or.map((r, k) => `${r.request_id},${new Date(r.ts).toISOString().slice(0, 23).replace('T', ' ')},${dollars(orCost(r, k))},0,0,0,${r.input_tok},${r.output_tok},0,0,${DATED[r.model]},OpenAI\n`).join(''),
    'openrouter-generations.json': `{"data":[${or.map((r, k) => `{"id":"${r.request_id}","total_cost":${dollars(orCost(r, k))},"created_at":"${new Date(r.ts).toISOString().slice(0, 23)}273+00:00","model":"${r.model}","tokens_prompt":${r.input_tok},"tokens_completion":${r.output_tok},"provider_name":"OpenAI"}`).join(',')}]}`,
    'openrouter-activity.json': JSON.stringify({ data: orGroups.map((g) => ({ date: iso(g.day).slice(0, 10), model: g.model, model_permaslug: DATED[g.model], endpoint_id: 'e1', provider_name: 'OpenAI', usage: Number(dollars(g.micros)), byok_usage_inference: 0, requests: g.calls, prompt_tokens: g.inp, completion_tokens: g.out, reasoning_tokens: 0 })) }),
    'generic.csv': 'date,provider,model,cost_usd\n' + [...a.map((g) => ['anthropic', g] as const), ...o.map((g) => ['openai', g] as const)].map(([p, g]) => `${iso(g.day).slice(0, 10)},${p},${DATED[g.model]},${dollars(g.micros)}\n`).join(''),
  };
}

async function reconcileOne(t: TempTape, name: string, text: string) {
  const loaded = loadBill(t.file(name, text), null, t.prices);
  storeBills(t.db, [loaded], 'test', NOW);
  return reconcile(localReconcileSource(t.db), [loaded.bill], { threshold: 0.005, priceListMs: null });
}

describe('a tape at list price against a bill in each format written from it', () => {
  const t = listPricedTape();
  const bad = listPricedTape();
  after(() => {
    t.cleanup();
    bad.cleanup();
  });
  const good = bills(rowsOf(t), false);
  const dearer = bills(rowsOf(bad), true);
  for (const name of Object.keys(good)) {
    it(`${name}: every bucket at 0.00%, and the one bucket made dearer is named`, async () => {
      const d = await reconcileOne(t, name, good[name]!);
      assert.ok(d.buckets.length >= 2, `${d.buckets.length} buckets`);
      // a usage report is priced on its sums, the tape call by call (each rounded to the micro-dollar once)
      const slack = (b: { tape_calls: number }) => (name.includes('usage') ? b.tape_calls / 2 : 0);
      for (const b of d.buckets) {
        assert.deepEqual([b.only, b.beyond], [null, false], `${b.period} ${b.model}`);
        assert.ok(Math.abs(b.diff_micros) <= slack(b), `${b.period} ${b.model}: ${b.diff_micros}`);
      }
      assert.equal(d.beyond, 0);
      if (d.calls) assert.deepEqual([d.calls.only_billed, d.calls.only_tape, d.calls.cost_differs], [0, 0, 0]);
      const e = await reconcileOne(bad, name, dearer[name]!);
      const named = e.buckets.filter((b) => b.beyond);
      assert.equal(named.length, name === 'generic.csv' ? 2 : 1, JSON.stringify(named));
      assert.ok(named.every((b) => b.period === '2026-12-02' && b.diff_micros < 0 && b.only === null));
    });
  }
});
