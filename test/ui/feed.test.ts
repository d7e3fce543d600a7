import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TapeFeed } from '../../src/ui/feed.js';
import { DEFAULT_READOUT_SETTINGS } from '../../src/readouts/index.js';
import { tempTape, call } from '../helpers/tape.js';
import { NOW, query } from './fixture.js';

function feedOver(path: string): TapeFeed {
  // the top-n refresh is every 1000th tick here, so only the empty-top rule can fill it
  return new TapeFeed({ path, filter: {}, query: query(), settings: DEFAULT_READOUT_SETTINGS, clock: () => NOW, follow: false, topEveryTicks: 1000 });
}

describe('the top-n of the screen', () => {
  it('is read again on the next tick while it is empty, not left blank until the 5 s refresh', () => {
    const tape = tempTape();
    const feed = feedOver(tape.path);
    try {
      assert.ok(feed.tryOpen());
      feed.tick();
      assert.deepEqual(feed.snapshot().top, []);
      tape.writer.appendBatch([call({ ts: NOW - 60_000, project: 'underwriting', cost_micros: 50_000, price_version: 'test@1' })]);
      feed.tick();
      assert.deepEqual(feed.snapshot().top.map((e) => [e.project, e.cost_micros]), [['underwriting', 50_000]]);
    } finally {
      feed.stop();
      tape.close();
    }
  });

  it('keeps a filled top-n until its refresh, so the order changes every 5 s at most', () => {
    const tape = tempTape();
    tape.writer.appendBatch([call({ ts: NOW - 60_000, project: 'underwriting', cost_micros: 50_000, price_version: 'test@1' })]);
    const feed = feedOver(tape.path);
    try {
      assert.ok(feed.tryOpen());
      feed.tick();
      assert.equal(feed.snapshot().top.length, 1);
      tape.writer.appendBatch([call({ ts: NOW - 30_000, project: 'sales-tool', cost_micros: 90_000, price_version: 'test@1' })]);
      feed.tick();
      assert.deepEqual(feed.snapshot().top.map((e) => e.project), ['underwriting']);
    } finally {
      feed.stop();
      tape.close();
    }
  });
});
