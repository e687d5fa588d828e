import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repeatJittered } from '../../src/scheduling/index.js';
import { ManualClock } from '../helpers/manualClock.js';

/** The waits a run of `repeatJittered` makes, drawing `draws` in turn. */
function waits(draws: number[], intervalMs = 1_000): number[] {
  const clock = new ManualClock();
  const ticks: number[] = [];
  let next = 0;
  const stop = repeatJittered({ clock, intervalMs, random: () => draws[next++ % draws.length] }, () => ticks.push(clock.now()));
  clock.advance(intervalMs * draws.length);
  stop();
  return ticks.map((at, index) => at - (index === 0 ? 1_000_000 : ticks[index - 1]));
}

describe('PERF-6: repeatJittered', () => {
  it('PERF-6: each wait is a fresh draw within 75-100 % of the interval, never longer', () => {
    const seen = waits([0, 0.5, 0.999, 0.2]);
    assert.deepEqual(seen.slice(0, 4).map(Math.round), [1000, 875, 750, 950]);
    for (const wait of seen) assert.ok(wait > 750 - 1 && wait <= 1000, `waited ${wait} ms`);
  });

  it('PERF-6: timers started in the same tick do not tick together', () => {
    const clock = new ManualClock();
    const fired = new Map<number, number>();
    const stops = Array.from({ length: 100 }, () => repeatJittered({ clock, intervalMs: 5_000 }, () => fired.set(clock.now(), (fired.get(clock.now()) ?? 0) + 1)));
    clock.advance(60_000);
    for (const stop of stops) stop();
    assert.ok(Math.max(...fired.values()) <= 3, `at most a few in one instant, saw ${Math.max(...fired.values())}`);
  });

  it('PERF-6: stops for good, also from inside its tick', () => {
    const clock = new ManualClock();
    let ticks = 0;
    const stop = repeatJittered({ clock, intervalMs: 100, random: () => 0 }, () => {
      if (++ticks === 2) stop();
    });
    clock.advance(1_000);
    assert.equal(ticks, 2);
    assert.equal(clock.pendingTimers, 0, 'no timer left behind');
  });
});
