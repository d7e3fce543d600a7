import type { NewCall } from '../tape/row.js';
import { Flag } from '../tape/row.js';
import { Rng, hash32 } from './random.js';

/**
 * The demo's traffic model: a few projects a real company runs, each with its own models,
 * token and cache shapes, durations, rhythm and failure modes. The tape is a pure function of
 * (seed, time): each second is generated from its own seeded stream, so any range can be
 * produced in any order, in chunks, and always comes out the same.
 */

type Provider = 'anthropic' | 'openai' | 'google';

interface ModelShape {
  readonly provider: Provider;
  readonly model: string;
  /** median input tokens (all input) and spread */
  readonly input: number;
  readonly inputSigma: number;
  readonly output: number;
  readonly outputSigma: number;
  /** share of calls that read a cached prefix, and the share of input it covers */
  readonly cacheHit: number;
  readonly cachedShare: number;
  /** share of calls that write the cache (and of those, 1-hour TTL) */
  readonly cacheWrite: number;
  readonly cacheWrite1h: number;
  /** ms before the first token, ms per output token */
  readonly ttftMs: number;
  readonly msPerToken: number;
}

interface ProjectShape {
  readonly project: string;
  /** mean calls per second at rate 1, as a function of the UTC second of day */
  readonly perSecond: (secondOfDay: number) => number;
  readonly models: readonly (readonly [ModelShape, number])[];
  /** fixed rhythm: every `period` seconds, `count` calls (the sales tool) */
  readonly rhythm?: { readonly period: number; readonly count: number };
  /** bursts: chance per second that a burst of n calls starts */
  readonly burst?: { readonly chance: number; readonly size: number };
}

const M = {
  opus: { provider: 'anthropic', model: 'claude-opus-4-5-20251101', input: 9000, inputSigma: 0.8, output: 900, outputSigma: 0.7, cacheHit: 0.7, cachedShare: 0.8, cacheWrite: 0.15, cacheWrite1h: 0.3, ttftMs: 1400, msPerToken: 18 },
  sonnet: { provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', input: 14000, inputSigma: 0.9, output: 700, outputSigma: 0.8, cacheHit: 0.75, cachedShare: 0.85, cacheWrite: 0.12, cacheWrite1h: 0.2, ttftMs: 700, msPerToken: 11 },
  haiku: { provider: 'anthropic', model: 'claude-haiku-4-5-20251001', input: 2500, inputSigma: 0.7, output: 220, outputSigma: 0.6, cacheHit: 0.5, cachedShare: 0.7, cacheWrite: 0.05, cacheWrite1h: 0, ttftMs: 350, msPerToken: 5 },
  gpt5: { provider: 'openai', model: 'gpt-5-2025-08-07', input: 6000, inputSigma: 0.9, output: 1800, outputSigma: 0.8, cacheHit: 0.4, cachedShare: 0.6, cacheWrite: 0, cacheWrite1h: 0, ttftMs: 1800, msPerToken: 9 },
  gpt4oMini: { provider: 'openai', model: 'gpt-4o-mini-2024-07-18', input: 1800, inputSigma: 0.6, output: 180, outputSigma: 0.6, cacheHit: 0.3, cachedShare: 0.5, cacheWrite: 0, cacheWrite1h: 0, ttftMs: 300, msPerToken: 6 },
  geminiPro: { provider: 'google', model: 'gemini-2.5-pro', input: 20000, inputSigma: 1.0, output: 1200, outputSigma: 0.8, cacheHit: 0.3, cachedShare: 0.7, cacheWrite: 0, cacheWrite1h: 0, ttftMs: 1500, msPerToken: 8 },
  geminiFlash: { provider: 'google', model: 'gemini-2.5-flash', input: 3000, inputSigma: 0.7, output: 350, outputSigma: 0.7, cacheHit: 0.2, cachedShare: 0.6, cacheWrite: 0, cacheWrite1h: 0, ttftMs: 400, msPerToken: 3 },
} satisfies Record<string, ModelShape>;

/** Models no price list knows: they must land unpriced, never as $0. */
const UNKNOWN: readonly ModelShape[] = [
  { ...M.sonnet, model: 'claude-experimental-preview' },
  { ...M.gpt4oMini, model: 'ft:gpt-4o-mini:acme:support-v3' },
];

const HOUR = 3600;
/** US/EU working hours carry more interactive traffic (UTC seconds of day). */
function workday(sec: number): number {
  const h = sec / HOUR;
  return 0.35 + 0.65 * Math.max(0, Math.sin(((h - 7) / 16) * Math.PI));
}
function nightly(sec: number): number {
  const h = sec / HOUR;
  return h >= 1 && h < 3 ? 1 : 0;
}

const PROJECTS: readonly ProjectShape[] = [
  { project: 'underwriting', perSecond: (s) => 0.25 * workday(s), models: [[M.opus, 0.35], [M.sonnet, 0.65]] },
  { project: 'support-copilot', perSecond: (s) => 0.9 * workday(s), models: [[M.haiku, 0.5], [M.gpt4oMini, 0.3], [M.sonnet, 0.2]], burst: { chance: 0.004, size: 25 } },
  { project: 'sales-tool', perSecond: () => 0, models: [[M.opus, 1]], rhythm: { period: 12, count: 2 } },
  { project: 'research', perSecond: (s) => 0.06 * workday(s), models: [[M.gpt5, 0.6], [M.geminiPro, 0.4]] },
  { project: 'nightly-batch', perSecond: (s) => 3 * nightly(s), models: [[M.geminiFlash, 0.7], [M.gpt4oMini, 0.3]] },
];

export interface TrafficOptions {
  readonly seed: number;
  /** multiplies every project's rate (1 = about two calls a second in working hours) */
  readonly rate: number;
  readonly host?: string;
}

function requestId(rng: Rng, provider: Provider): string {
  switch (provider) {
    case 'anthropic':
      return `msg_demo_${rng.hex(24)}`;
    case 'openai':
      return `chatcmpl-demo${rng.hex(24)}`;
    default:
      return `gen-demo-${rng.hex(24)}`;
  }
}

function makeCall(rng: Rng, project: string, shape: ModelShape, ts: number, host: string | undefined): NewCall {
  const unknown = rng.chance(0.003);
  const s = unknown ? UNKNOWN[rng.int(0, UNKNOWN.length - 1)]! : shape;
  const input = Math.max(1, Math.round(rng.logNormal(s.input, s.inputSigma)));
  const hit = rng.chance(s.cacheHit);
  const cached = hit ? Math.floor(input * s.cachedShare * (0.8 + 0.2 * rng.next())) : 0;
  const writes = !hit && rng.chance(s.cacheWrite) ? Math.floor((input - cached) * 0.9) : 0;
  const writes1h = writes && rng.chance(s.cacheWrite1h) ? writes : 0;
  let output = Math.max(1, Math.round(rng.logNormal(s.output, s.outputSigma)));
  let duration = Math.round(s.ttftMs * (0.6 + 0.8 * rng.next()) + output * s.msPerToken * (0.7 + 0.6 * rng.next()));
  let status = 200;
  let flags = 0;
  let inTok = input;
  let cachedTok = cached;
  let writeTok = writes;
  let write1h = writes1h;
  const r = rng.next();
  const overloaded = s.provider === 'anthropic' ? 0.006 : 0;
  if (r < 0.02) {
    status = 429;
  } else if (r < 0.025) {
    status = 500;
  } else if (r < 0.025 + overloaded) {
    status = 529;
  }
  if (status !== 200) {
    inTok = cachedTok = writeTok = write1h = output = 0;
    duration = rng.int(40, 900);
  } else if (rng.chance(0.002)) {
    // a stream cut before its usage arrived: what was seen, flagged, never "free"
    flags = Flag.stream_cut | Flag.usage_missing;
    output = Math.round(output * rng.next());
  }
  return {
    ts,
    host,
    project,
    provider: s.provider,
    model: s.model,
    input_tok: inTok,
    output_tok: output,
    cached_tok: cachedTok,
    cache_write_tok: writeTok,
    cache_write_1h_tok: write1h,
    duration_ms: duration,
    status,
    flags,
    request_id: requestId(rng, s.provider),
    source: 'demo',
  };
}

/** Every call that starts within the UTC second `second` (epoch seconds), in start order. */
export function callsInSecond(second: number, o: TrafficOptions): NewCall[] {
  const out: NewCall[] = [];
  const sod = ((second % 86400) + 86400) % 86400;
  PROJECTS.forEach((p, pi) => {
    const rng = new Rng(hash32(o.seed, second, pi));
    let n = rng.poisson(p.perSecond(sod) * o.rate);
    if (p.rhythm && (second + hash32(o.seed, pi) % p.rhythm.period) % p.rhythm.period === 0) n += p.rhythm.count;
    if (p.burst && rng.chance(p.burst.chance * Math.min(1, o.rate))) n += Math.round(p.burst.size * (0.5 + rng.next()));
    for (let i = 0; i < n; i++) {
      const shape = rng.pick(p.models);
      out.push(makeCall(rng, p.project, shape, second * 1000 + rng.int(0, 999), o.host));
    }
  });
  out.sort((a, b) => a.ts - b.ts);
  return out;
}
