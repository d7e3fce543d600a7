import type { Adapter, Observer, Observed } from './types.js';
import { count, emptyObserved, header, obj, parseJson, str } from './types.js';

/**
 * Gemini API (generativelanguage): generateContent, streamGenerateContent (SSE with
 * `alt=sse`, else a JSON array). `usageMetadata` is a running total in streams: the last
 * one wins. `promptTokenCount` includes `cachedContentTokenCount`; `candidatesTokenCount`
 * excludes `thoughtsTokenCount`, so output = candidates + thoughts; tool-use prompt tokens
 * are billed as input.
 */
function takeChunk(seen: Observed, o: Record<string, unknown>): void {
  if (o.error !== undefined && o.error !== null) {
    seen.streamError = true;
    return;
  }
  seen.model = str(o.modelVersion) ?? seen.model;
  seen.bodyId = str(o.responseId) ?? seen.bodyId;
  // the chunk with a finishReason carries the final running total: the stream has said its last word
  if (Array.isArray(o.candidates) && o.candidates.some((c) => typeof obj(c)?.finishReason === 'string')) seen.terminal = true;
  const u = obj(o.usageMetadata);
  if (!u) return;
  const prompt = count(u.promptTokenCount) ?? 0;
  const tool = count(u.toolUsePromptTokenCount) ?? 0;
  const input = prompt + tool;
  seen.usage = {
    input_tok: input,
    output_tok: (count(u.candidatesTokenCount) ?? 0) + (count(u.thoughtsTokenCount) ?? 0),
    cached_tok: Math.min(count(u.cachedContentTokenCount) ?? 0, input),
    cache_write_tok: 0,
    cache_write_1h_tok: 0,
  };
}

class GeminiObserver implements Observer {
  readonly seen = emptyObserved();

  json(body: unknown): void {
    if (Array.isArray(body)) {
      for (const item of body) {
        const o = obj(item);
        if (o) takeChunk(this.seen, o);
      }
      return;
    }
    const o = obj(body);
    if (o && (o.error === undefined || o.error === null)) takeChunk(this.seen, o);
  }

  event(_name: string, data: string): void {
    const o = obj(parseJson(data));
    if (o) takeChunk(this.seen, o);
  }
}

const MODEL_IN_PATH = /\/(?:models|tunedModels)\/([^/:?]{1,200})(?::|$|\?)/;

export const gemini: Adapter = {
  provider: 'google',
  route: 'gemini',
  defaultUpstream: 'https://generativelanguage.googleapis.com',
  hasTerminalEvent: false,
  headerId: (h) => header(h, 'x-request-id'),
  modelFromPath(path) {
    const m = MODEL_IN_PATH.exec(path);
    if (!m) return null;
    try {
      return decodeURIComponent(m[1]!);
    } catch {
      return m[1]!;
    }
  },
  observer: () => new GeminiObserver(),
};
