import type { Adapter } from './types.js';
import { anthropic } from './anthropic.js';
import { openai } from './openai.js';
import { gemini } from './gemini.js';

export type { Adapter, Observer, Observed, WireUsage } from './types.js';

/** Every provider route the proxy serves, by its first path segment. */
export const ADAPTERS: readonly Adapter[] = [anthropic, openai, gemini];

export function adapterForRoute(route: string): Adapter | undefined {
  return ADAPTERS.find((a) => a.route === route);
}

/** Names accepted by `--upstream name=URL`: the route or the provider name. */
export function adapterByName(name: string): Adapter | undefined {
  return ADAPTERS.find((a) => a.route === name || a.provider === name);
}
