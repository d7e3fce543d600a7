import { readFileSync } from 'node:fs';
import { priceDataPath } from '../pricing/load.js';
import type { PriceInfo } from './components/StatusLine.js';

/** The price list in force and when its data was fetched (null: the data bundled with tape). */
export function priceInfo(version: string, stateDir: string): PriceInfo {
  try {
    const stored = JSON.parse(readFileSync(priceDataPath(stateDir), 'utf8')) as { fetched_at?: string };
    const at = stored.fetched_at ? Date.parse(stored.fetched_at) : NaN;
    return { version, fetchedAt: Number.isNaN(at) ? null : at };
  } catch {
    return { version, fetchedAt: null };
  }
}
