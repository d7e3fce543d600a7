import type { IncomingHttpHeaders } from 'node:http';

/** Token counts read off the wire, in tape terms (input_tok counts ALL input tokens). */
export interface WireUsage {
  input_tok: number;
  output_tok: number;
  cached_tok: number;
  cache_write_tok: number;
  cache_write_1h_tok: number;
}

/** What one response told us, filled in as bytes pass. */
export interface Observed {
  /** model as the provider named it in the response */
  model: string | null;
  /** id from the body (message id, chatcmpl id, response id) */
  bodyId: string | null;
  /** null until a usage object arrives */
  usage: WireUsage | null;
  /** an error arrived inside a successful (200) stream */
  streamError: boolean;
  /** the stream's closing event arrived (for providers that send one) */
  terminal: boolean;
}

/** Reads one response: whole JSON bodies and SSE events. Never keeps text. */
export interface Observer {
  readonly seen: Observed;
  json(body: unknown): void;
  event(name: string, data: string): void;
}

/** One provider: its route, where its ids are, and how to read its usage. */
export interface Adapter {
  /** provider name on the tape (matches the price book) */
  readonly provider: string;
  /** first path segment of the route: /anthropic, /openai, /gemini */
  readonly route: string;
  /** where the route goes when nothing is configured */
  readonly defaultUpstream: string;
  /** SSE streams of this provider end with a closing event (missing one = the stream was cut) */
  readonly hasTerminalEvent: boolean;
  /** the request id from response headers */
  headerId(headers: IncomingHttpHeaders): string | null;
  /** the model named in the request path, when the API puts it there */
  modelFromPath(path: string): string | null;
  observer(): Observer;
}

export function emptyObserved(): Observed {
  return { model: null, bodyId: null, usage: null, streamError: false, terminal: false };
}

export function zeroUsage(): WireUsage {
  return { input_tok: 0, output_tok: 0, cached_tok: 0, cache_write_tok: 0, cache_write_1h_tok: 0 };
}

/** A non-negative whole count, or undefined for anything else (null, strings, negatives). */
export function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

export function str(v: unknown, max = 256): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
}

export function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export function header(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  return str(Array.isArray(v) ? v[0] : v);
}

/** JSON.parse that returns undefined instead of throwing (malformed events pass through untouched). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
