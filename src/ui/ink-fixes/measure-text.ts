// Replaces ink/build/measure-text.js in the bundle (scripts/build.mjs): the same measurement, with
// a bounded cache instead of one that keeps every text ever measured.
import widestLine from 'widest-line';
import { BoundedCache } from './bounded-cache.js';

const cache = new BoundedCache<string, { width: number; height: number }>(2000);

const measureText = (text: string): { width: number; height: number } => {
  if (text.length === 0) return { width: 0, height: 0 };
  const hit = cache.get(text);
  if (hit) return hit;
  const dimensions = { width: widestLine(text), height: text.split('\n').length };
  cache.set(text, dimensions);
  return dimensions;
};
export default measureText;
