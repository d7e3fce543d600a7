import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { changes, statesOf, type Observation } from '../../src/alerts/events.js';
import { computeReadouts } from '../../src/readouts/index.js';
import type { ReadoutInputs } from '../../src/readouts/types.js';
import { tempTape, DEC1, DEC2, HOUR } from '../reconcile/helpers.js';

const BIN = new URL('../../bin/tape', import.meta.url).pathname;
const NOW = DEC2;

function obs(over: Partial<ReadoutInputs> = {}, unpriced: string[] = []): Observation {
  const inputs: ReadoutInputs = { now: NOW, sum60sMicros: 0, sum15mMicros: 0, windowSeconds: 90, windowMicros: 0, windowCalls: 0, projects: [], monthToDateMicros: 0, budgetRateSeconds: 86_400, budgetRateWindowMicros: 0, budgetMicros: 1_000_000, periods: [], unpricedCalls: 0, ...over };
  return { readouts: computeReadouts(inputs), projectBudgets: [], unpricedModels: unpriced, divergeUp: 1.5, divergeDown: 0.5 };
}

describe('alert states fire once per change', () => {
  it('fires when a budget turns ahead, not while it stays ahead, and once when it recovers', () => {
    const ahead = obs({ monthToDateMicros: 2_000_000 });
    const first = changes(null, statesOf(ahead), ahead, NOW);
    assert.deepEqual(first.map((e) => [e.key, e.state, e.previous]), [['budget', 'ahead', null]]);
    assert.match(first[0]!.message, /budget AHEAD/);
    assert.deepEqual(changes(statesOf(ahead), statesOf(ahead), ahead, NOW), []);
    const fine = obs();
    assert.deepEqual(changes(statesOf(ahead), statesOf(fine), fine, NOW).map((e) => [e.key, e.state, e.previous]), [['budget', 'ok', 'ahead']]);
  });
  it('fires on a diverging 60 s run rate and on a variance incident', () => {
    const o = obs({ sum60sMicros: 1_000_000, sum15mMicros: 1_000_000, periods: [
      { start_ms: DEC1 - 86_400_000, end_ms: DEC1, label: 'a', tape_micros: 110, billed_micros: 100, cause: 'stale prices' },
      { start_ms: DEC1, end_ms: DEC2, label: 'b', tape_micros: 110, billed_micros: 100, cause: 'stale prices' },
    ] });
    const ev = changes({}, statesOf(o), o, NOW);
    assert.deepEqual(ev.map((e) => [e.kind, e.state]), [['run_rate', 'up'], ['variance', 'incident']]);
    assert.match(ev[1]!.message, /likely: stale prices/);
  });
  it('records the unpriced models of the first check without announcing them, then announces new ones', () => {
    const o = obs({}, ['openai/old']);
    assert.deepEqual(changes(null, statesOf(o), o, NOW), []);
    const o2 = obs({}, ['openai/old', 'acme/new']);
    assert.deepEqual(changes({ 'unpriced:openai/old': 'seen' }, statesOf(o2), o2, NOW).map((e) => [e.kind, e.key]), [['unpriced_model', 'unpriced:acme/new']]);
  });
});

describe('tape watch', () => {
  const t = tempTape();
  after(() => t.cleanup());
  it('runs the alert command exactly once per change, across restarts, with the event JSON on stdin', () => {
    t.add([{ ts: DEC1 + HOUR, cost_micros: 50_000_000 }, { ts: DEC1 + 2 * HOUR, model: 'mystery-1', cost_micros: null }]);
    const out = `${t.dir}/events.ndjson`;
    const env = { ...process.env, TAPE_STATE_DIR: `${t.dir}/state`, TAPE_CONFIG: `${t.dir}/none.json` };
    const watch = () => spawnSync(process.execPath, [BIN, '--db', t.path, 'watch', '--once', '--budget', '10', '--now', '2026-12-02T00:00:00Z', '--command', `cat >> '${out}'`], { encoding: 'utf8', env });
    for (let i = 0; i < 3; i++) assert.equal(watch().status, 0);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((e) => [e.type, e.kind, e.key, e.state]), [['alert', 'budget', 'budget', 'ahead']]);
    assert.ok(existsSync(`${t.dir}/state/alerts.json`));
    t.add([{ ts: DEC1 + 3 * HOUR, model: 'mystery-2', cost_micros: null }]);
    for (let i = 0; i < 2; i++) assert.equal(watch().status, 0);
    const after2 = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(after2.map((e) => e.key), ['budget', 'unpriced:anthropic/mystery-2']);
  });
  it('retries an event whose command failed', () => {
    const env = { ...process.env, TAPE_STATE_DIR: `${t.dir}/state2`, TAPE_CONFIG: `${t.dir}/none.json` };
    const out = `${t.dir}/retry.ndjson`;
    const run = (cmd: string) => spawnSync(process.execPath, [BIN, '--db', t.path, 'watch', '--once', '--budget', '10', '--now', '2026-12-02T00:00:00Z', '--command', cmd], { encoding: 'utf8', env });
    const failed = run('exit 1');
    assert.match(failed.stderr, /alert command failed/);
    run(`cat >> '${out}'`);
    run(`cat >> '${out}'`);
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 1);
  });
});
