import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseWhen } from '../../src/time.js';

describe('times that name no day are refused', () => {
  it('reads 29 February only in a leap year, and no 30 February or 31 April', () => {
    // Date.parse reads "2026-02-29" as 1 March: an imported row would land in the next month
    assert.equal(parseWhen('2026-02-29T12:00:00Z', 0), null);
    assert.equal(parseWhen('2100-02-29', 0), null);
    assert.equal(parseWhen('2026-02-30', 0), null);
    assert.equal(parseWhen('2026-04-31T10:00:00+02:00', 0), null);
    assert.equal(parseWhen('2028-02-29T12:00:00Z', 0), Date.UTC(2028, 1, 29, 12));
    assert.equal(parseWhen('2000-02-29', 0), Date.UTC(2000, 1, 29));
    assert.equal(parseWhen('2026-12-31T23:59:59.999Z', 0), Date.UTC(2026, 11, 31, 23, 59, 59, 999));
  });
});
