import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dueWithinSpread } from '../../src/scheduling/index.js';
import { seededRandom } from '../helpers/randomEditors.js';

/** The count at which each of `documents` counters, stepped together, first comes due. */
function firstDueCounts(documents: number, threshold: number, random: () => number): number[] {
  return Array.from({ length: documents }, () => {
    for (let count = 1; ; count++) if (dueWithinSpread(count, threshold, random)) return count;
  });
}

describe('PERF-6: dueWithinSpread', () => {
  it('PERF-6: never due before 75 % of the threshold, always due at it', () => {
    const always = () => 0;
    const never = () => 0.999_999;
    assert.equal(dueWithinSpread(191, 256, always), false);
    assert.equal(dueWithinSpread(192, 256, always), true);
    assert.equal(dueWithinSpread(255, 256, never), false);
    assert.equal(dueWithinSpread(256, 256, never), true);
    assert.equal(dueWithinSpread(300, 256, never), true);
  });

  it('PERF-6: 1,000 documents counting in step come due spread evenly over the last quarter, not at one count', () => {
    const counts = firstDueCounts(1000, 256, seededRandom(14));
    assert.ok(Math.min(...counts) >= 192 && Math.max(...counts) <= 256, `from ${Math.min(...counts)} to ${Math.max(...counts)}`);
    const perCount = new Map<number, number>();
    for (const count of counts) perCount.set(count, (perCount.get(count) ?? 0) + 1);
    // 65 counts: about 15 documents each; none gets a crowd.
    assert.ok(perCount.size >= 60, `${perCount.size} distinct counts`);
    assert.ok(Math.max(...perCount.values()) <= 40, `at most ${Math.max(...perCount.values())} documents at one count`);
    const firstHalf = counts.filter((count) => count < 224).length;
    assert.ok(firstHalf > 400 && firstHalf < 600, `${firstHalf} of 1,000 in the first half of the range`);
  });
});
