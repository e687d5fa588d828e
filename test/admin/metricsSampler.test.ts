import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsSampler } from '../../src/admin/index.js';
import { ManualClock } from '../helpers/manualClock.js';

/** A source whose figures the test moves by hand. */
function source() {
  const figures = { openSockets: 0, updates: 0, limitHits: 0 };
  return { figures, source: { openSockets: () => figures.openSockets, updatesTotal: () => figures.updates, limitHitsTotal: () => figures.limitHits } };
}

describe('the admin metrics sampler', () => {
  it('ADMIN-10: samples on a jittered timer (75-100 % of the interval), each rate over the time that really passed', () => {
    const clock = new ManualClock();
    const { figures, source: src } = source();
    const draws = [0, 0.5, 1, 0.2];
    let draw = 0;
    const sampler = new MetricsSampler({ clock, source: src, intervalMs: 2_000, capacity: 10, random: () => draws[draw++ % draws.length]! });
    sampler.start();
    figures.openSockets = 3;
    figures.updates = 20; // in the first wait: 2000 ms (draw 0)
    figures.limitHits = 2;
    clock.advance(2_000);
    figures.updates = 35; // 15 more in 1750 ms (draw 0.5)
    clock.advance(1_750);
    sampler.stop();
    clock.advance(10_000);
    const samples = sampler.samples();
    assert.deepEqual(
      samples.map(({ at, connections, updatesPerSecond, limitHits }) => ({ at, connections, updatesPerSecond, limitHits })),
      [
        { at: 1_002_000, connections: 3, updatesPerSecond: 10, limitHits: 2 },
        { at: 1_003_750, connections: 3, updatesPerSecond: 8.57, limitHits: 0 },
      ],
    );
    assert.equal(clock.pendingTimers, 0, 'stopped for good');
  });

  it('ADMIN-10: a fixed ring: the newest samples, oldest first, however long it runs', () => {
    const clock = new ManualClock();
    const sampler = new MetricsSampler({ clock, source: source().source, intervalMs: 1_000, capacity: 5, random: () => 0 });
    sampler.start();
    clock.advance(60_000);
    sampler.stop();
    const at = sampler.samples().map((sample) => sample.at);
    assert.deepEqual(at, [1_056_000, 1_057_000, 1_058_000, 1_059_000, 1_060_000]);
  });

  it('ADMIN-10: samplers started together do not sample in step', () => {
    const clock = new ManualClock();
    const samplers = Array.from({ length: 50 }, () => new MetricsSampler({ clock, source: source().source, intervalMs: 2_000, capacity: 100 }));
    for (const sampler of samplers) sampler.start();
    clock.advance(60_000);
    for (const sampler of samplers) sampler.stop();
    const perInstant = new Map<number, number>();
    for (const sampler of samplers) for (const sample of sampler.samples()) perInstant.set(sample.at, (perInstant.get(sample.at) ?? 0) + 1);
    assert.ok(Math.max(...perInstant.values()) <= 3, `at most a few at one instant, saw ${Math.max(...perInstant.values())}`);
  });
});
