import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { BoundedCache } from '../../src/ui/ink-fixes/bounded-cache.js';
import measureText from '../../src/ui/ink-fixes/measure-text.js';
import wrapText from '../../src/ui/ink-fixes/wrap-text.js';
import { ROOT } from '../helpers/tape.js';

const inkBuild = dirname(createRequire(import.meta.url).resolve('ink'));
const original = async <T>(name: string): Promise<T> => ((await import(pathToFileURL(join(inkBuild, `${name}.js`)).href)) as { default: T }).default;

describe('bounded caches for the text Ink measures and wraps', () => {
  it('keeps at most its limit, dropping the least recently used', () => {
    const c = new BoundedCache<string, number>(3);
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3);
    assert.equal(c.get('a'), 1); // a is now the most recent
    c.set('d', 4);
    assert.equal(c.size, 3);
    assert.equal(c.get('b'), undefined);
    assert.deepEqual([c.get('a'), c.get('c'), c.get('d')], [1, 3, 4]);
    for (let i = 0; i < 10_000; i++) c.set(`k${i}`, i);
    assert.equal(c.size, 3);
  });

  it('measures and wraps exactly as Ink 6 does', async () => {
    const inkMeasure = await original<typeof measureText>('measure-text');
    const inkWrap = await original<typeof wrapText>('wrap-text');
    const texts = ['', 'tape', 'two\nlines here', '\u001b[33m█\u001b[39m█ ▾opus $0.114', '日本語のテキスト', 'a long line of the print that will not fit in twenty columns'];
    for (const t of texts) {
      assert.deepEqual(measureText(t), inkMeasure(t), t);
      for (const w of [5, 20, 80]) {
        for (const type of ['wrap', 'truncate', 'truncate-middle', 'truncate-start', 'end']) assert.equal(wrapText(t, w, type), inkWrap(t, w, type), `${t} ${w} ${type}`);
      }
    }
  });

  it('does not confuse ("ab", 12) with ("ab1", 2) as Ink 6 did', () => {
    assert.equal(wrapText('ab', 12, 'wrap'), 'ab');
    assert.equal(wrapText('ab1', 2, 'wrap'), 'ab\n1');
  });

  it('replaces Ink 6 own unbounded caches in the bundled tape', () => {
    const bundle = readFileSync(join(ROOT, 'dist/tape.mjs'), 'utf8');
    assert.match(bundle, /BoundedCache = class|class BoundedCache/);
    assert.doesNotMatch(bundle, /^\s*(var|const|let) cache\d* = (new Map\(\)|\{\});$/m);
  });
});
