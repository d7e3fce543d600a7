// Replaces ink/build/wrap-text.js in the bundle (scripts/build.mjs): the same wrapping, with a
// bounded cache, and a key that cannot confuse ("ab", 12) with ("ab1", 2) as ink 6's did
// (vadimdemedes/ink#998).
import wrapAnsi from 'wrap-ansi';
import cliTruncate from 'cli-truncate';
import { BoundedCache } from './bounded-cache.js';

const cache = new BoundedCache<string, string>(2000);

const wrapText = (text: string, maxWidth: number, wrapType: string): string => {
  const key = `${maxWidth}\u0000${wrapType}\u0000${text}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let wrapped = text;
  if (wrapType === 'wrap') wrapped = wrapAnsi(text, maxWidth, { trim: false, hard: true });
  if (wrapType.startsWith('truncate')) {
    const position = wrapType === 'truncate-middle' ? 'middle' : wrapType === 'truncate-start' ? 'start' : 'end';
    wrapped = cliTruncate(text, maxWidth, { position });
  }
  cache.set(key, wrapped);
  return wrapped;
};
export default wrapText;
