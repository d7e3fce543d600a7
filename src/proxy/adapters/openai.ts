import type { Adapter, Observer, Observed } from './types.js';
import { count, emptyObserved, header, obj, parseJson, str } from './types.js';

/**
 * OpenAI Chat Completions, Responses, embeddings (and legacy completions).
 * Chat: `prompt_tokens` already includes `prompt_tokens_details.cached_tokens`;
 * `completion_tokens` already includes `completion_tokens_details.reasoning_tokens`.
 * Responses: `input_tokens` (+ `input_tokens_details.cached_tokens`), `output_tokens`
 * (+ `output_tokens_details.reasoning_tokens`), same inclusions. A chat stream carries usage
 * only when the request asked for `stream_options.include_usage` (a last chunk, empty choices).
 */
function takeUsage(seen: Observed, u: Record<string, unknown>): void {
  const chatIn = count(u.prompt_tokens);
  const respIn = count(u.input_tokens);
  const input = chatIn ?? respIn;
  if (input === undefined) return;
  const inDetails = obj(chatIn !== undefined ? u.prompt_tokens_details : u.input_tokens_details);
  const output = count(chatIn !== undefined ? u.completion_tokens : u.output_tokens) ?? 0;
  const cached = Math.min(count(inDetails?.cached_tokens) ?? 0, input);
  seen.usage = { input_tok: input, output_tok: output, cached_tok: cached, cache_write_tok: 0, cache_write_1h_tok: 0 };
}

/** A chat completion, completion chunk, embeddings list or Responses `response` object. */
function takeObject(seen: Observed, o: Record<string, unknown>): void {
  seen.model = str(o.model) ?? seen.model;
  if (o.object !== 'list') seen.bodyId = str(o.id) ?? seen.bodyId;
  const u = obj(o.usage);
  if (u) takeUsage(seen, u);
}

/** Cheap pre-check before parsing a chunk: every chat chunk says `"usage":null` until the last. */
function hasUsage(data: string): boolean {
  const at = data.indexOf('"usage"');
  if (at < 0) return false;
  let i = at + 7;
  while (i < data.length && (data[i] === ' ' || data[i] === ':')) i++;
  return data[i] === '{';
}

const RESPONSE_EVENTS = new Set(['response.created', 'response.in_progress', 'response.completed', 'response.incomplete', 'response.failed']);
const RESPONSE_TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

class OpenAiObserver implements Observer {
  readonly seen = emptyObserved();
  private chunks = 0;

  json(body: unknown): void {
    const b = obj(body);
    if (b) takeObject(this.seen, b);
  }

  event(name: string, data: string): void {
    if (name !== 'message') return this.responsesEvent(name, data);
    if (data === '[DONE]') {
      this.seen.terminal = true;
      return;
    }
    // Chat chunks: parse the first (id, model), then only those that carry usage or an error.
    const first = this.chunks++ === 0;
    if (!first && !hasUsage(data) && !data.includes('"error"')) return;
    const o = obj(parseJson(data));
    if (!o) return;
    if (o.error !== undefined && o.error !== null) {
      this.seen.streamError = true;
      return;
    }
    if (typeof o.type === 'string' && o.type.startsWith('response.')) return this.responsesEvent(o.type, data, o);
    takeObject(this.seen, o);
  }

  /** Responses API stream: `event: response.completed` and friends carry the whole response. */
  private responsesEvent(name: string, data: string, parsed?: Record<string, unknown>): void {
    if (name === 'error') {
      this.seen.streamError = true;
      return;
    }
    if (!RESPONSE_EVENTS.has(name)) return;
    const o = parsed ?? obj(parseJson(data));
    const r = obj(o?.response);
    if (r) takeObject(this.seen, r);
    if (RESPONSE_TERMINAL.has(name)) this.seen.terminal = true;
    if (name === 'response.failed') this.seen.streamError = true;
  }
}

export const openai: Adapter = {
  provider: 'openai',
  route: 'openai',
  defaultUpstream: 'https://api.openai.com',
  hasTerminalEvent: true,
  headerId: (h) => header(h, 'x-request-id'),
  modelFromPath: () => null,
  observer: () => new OpenAiObserver(),
};
