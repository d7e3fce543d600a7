import type { Adapter, Observer, Observed } from './types.js';
import { count, emptyObserved, header, obj, parseJson, str } from './types.js';

/**
 * Anthropic Messages. Usage fields (SDK `Usage`, `MessageDeltaUsage`): `input_tokens` counts
 * only uncached input, so the tape's input is input + cache reads + cache writes.
 * `message_delta` usage is cumulative: each non-null field replaces the one before.
 * Cache writes split by TTL in `cache_creation.ephemeral_5m_input_tokens` / `ephemeral_1h_input_tokens`.
 */
interface Raw {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  write5m?: number;
  write1h?: number;
}

function takeUsage(raw: Raw, u: Record<string, unknown>): void {
  raw.input = count(u.input_tokens) ?? raw.input;
  raw.output = count(u.output_tokens) ?? raw.output;
  raw.cacheRead = count(u.cache_read_input_tokens) ?? raw.cacheRead;
  raw.cacheWrite = count(u.cache_creation_input_tokens) ?? raw.cacheWrite;
  const cc = obj(u.cache_creation);
  if (cc) {
    raw.write5m = count(cc.ephemeral_5m_input_tokens) ?? raw.write5m;
    raw.write1h = count(cc.ephemeral_1h_input_tokens) ?? raw.write1h;
  }
}

function settle(seen: Observed, raw: Raw): void {
  if (raw.input === undefined && raw.output === undefined) return;
  const split = (raw.write5m ?? 0) + (raw.write1h ?? 0);
  const writes = raw.cacheWrite ?? split;
  const reads = raw.cacheRead ?? 0;
  seen.usage = {
    input_tok: (raw.input ?? 0) + reads + writes,
    output_tok: raw.output ?? 0,
    cached_tok: reads,
    cache_write_tok: writes,
    cache_write_1h_tok: Math.min(raw.write1h ?? 0, writes),
  };
}

class AnthropicObserver implements Observer {
  readonly seen = emptyObserved();
  private readonly raw: Raw = {};

  private message(m: Record<string, unknown>): void {
    this.seen.model = str(m.model) ?? this.seen.model;
    this.seen.bodyId = str(m.id) ?? this.seen.bodyId;
    const u = obj(m.usage);
    if (u) takeUsage(this.raw, u);
    settle(this.seen, this.raw);
  }

  json(body: unknown): void {
    const b = obj(body);
    if (b && b.type === 'message') this.message(b);
  }

  event(name: string, data: string): void {
    let type = name;
    let parsed: Record<string, unknown> | null = null;
    if (name === 'message') {
      parsed = obj(parseJson(data));
      type = str(parsed?.type) ?? '';
    }
    switch (type) {
      case 'message_start': {
        const m = obj((parsed ?? obj(parseJson(data)))?.message);
        if (m) this.message(m);
        return;
      }
      case 'message_delta': {
        const u = obj((parsed ?? obj(parseJson(data)))?.usage);
        if (u) {
          takeUsage(this.raw, u);
          settle(this.seen, this.raw);
        }
        return;
      }
      case 'message_stop':
        this.seen.terminal = true;
        return;
      case 'error':
        this.seen.streamError = true;
        return;
    }
  }
}

export const anthropic: Adapter = {
  provider: 'anthropic',
  route: 'anthropic',
  defaultUpstream: 'https://api.anthropic.com',
  hasTerminalEvent: true,
  headerId: (h) => header(h, 'request-id') ?? header(h, 'x-request-id'),
  modelFromPath: () => null,
  observer: () => new AnthropicObserver(),
};
