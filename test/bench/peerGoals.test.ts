import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadStepRow } from '../../bench/peers/loadStep.js';
import { quickPlan, type ScenarioKey } from '../../bench/peers/peerBenchPlan.js';
import { coalesceWindowMs, goalLines, tailLimitMs } from '../../bench/peers/report/peerGoals.js';
import { renderPeerReport } from '../../bench/peers/report/peerReport.js';
import type { ScenarioRun } from '../../bench/peers/runScenario.js';
import type { ServerSpec } from '../../bench/peers/serverLineup.js';
import { summarizeLatencies } from '../../bench/shared/latencyStats.js';

function server(key: string, title: string): ServerSpec {
  return { key, title, usesRedis: false, start: () => Promise.reject(new Error('not started in a test')) };
}

const ours = server('wiresocket', 'wiresocket (memory)');
const reference = server('y-websocket-server', '@y/websocket-server');

/** A clean step: exactly-once delivery, the given p99, CPU and event-loop max. */
function row(p99: number, micros: number, loopMaxMs: number | null): LoadStepRow {
  const latency = { ...summarizeLatencies([1, 2, 3]), p99 };
  const count = { expected: 100, received: 100, missing: 0, duplicates: 0 };
  return {
    offered: 10,
    perWriterRate: 5,
    sentPerSecond: 10,
    deliveredPerSecond: 90,
    delivery: { ...count, percent: 100 },
    echo: count,
    outOfOrder: 0,
    foreign: 0,
    closes: 0,
    latency,
    echoLatency: latency,
    serverCpuPercent: 10,
    serverMicrosPerDelivery: micros,
    redisMicrosPerDelivery: null,
    loadCpuPercent: 10,
    loadMicrosPerDelivery: 1,
    otherCpuPercent: 0,
    maxLagMs: 1,
    drainMs: 1,
    loopDelay: loopMaxMs === null ? null : { maxMs: loopMaxMs, p99Ms: loopMaxMs / 2 },
  };
}

function loadRun(scenario: ScenarioKey, spec: ServerSpec, step: LoadStepRow): ScenarioRun {
  return { scenario, server: spec, seconds: 1, outcome: { kind: 'load', connectMs: 1, steps: [step], stopReason: 'completed', verification: { kind: 'skipped', reason: 'test' } } };
}

function stormRun(scenario: ScenarioKey, spec: ServerSpec, allDoneMs: number): ScenarioRun {
  return { scenario, server: spec, seconds: 1, outcome: { kind: 'storm', clients: 1000, docs: 100, allDoneMs, perClient: summarizeLatencies([allDoneMs]), errors: 0, firstError: null, loadCpuPercent: 50, serverCpuPercent: 90 } };
}

function lineWith(lines: readonly string[], text: string): string {
  const found = lines.find((line) => line.includes(text));
  assert.ok(found, `a line with "${text}" in:\n${lines.join('\n')}`);
  return found;
}

describe('peer benchmark goals (issue 14)', () => {
  it('reads the coalescing window in force from the serve command line, 25 ms when it names none', () => {
    assert.equal(coalesceWindowMs(['serve', '--port', '0']), 25);
    assert.equal(coalesceWindowMs(['serve', '--coalesce-max-ms', '16']), 16);
    assert.equal(coalesceWindowMs(['serve', '--coalesce-max-ms']), 25);
  });

  it('allows the larger of 1.5 x the reference p99 and the reference p99 plus the window', () => {
    assert.equal(tailLimitMs(10, 25), 35);
    assert.equal(tailLimitMs(100, 25), 150);
    assert.equal(tailLimitMs(10, 0), 15);
  });

  it('judges the tail, the event-loop max, the CPU budget and the storms per wiresocket shape', () => {
    const runs = [
      loadRun('busy', reference, row(10, 9, 5)),
      loadRun('busy', ours, row(30, 2.7, 12)),
      loadRun('hot', reference, row(10, 10, 5)),
      // Within the tail limit (35 ms) but over the CPU goal's 0.50x.
      loadRun('hot', ours, row(34, 6, 25)),
      stormRun('storm-1k', reference, 1000),
      stormRun('storm-1k', ours, 900),
      stormRun('storm-5k', reference, 4000),
      stormRun('storm-5k', ours, 4500),
    ];
    const lines = goalLines(runs, 25);
    assert.match(lineWith(lines, '| busy doc: wiresocket / @y/websocket-server'), /0\.30x \(p99 30\.0 ms\) \| <= 0\.33x \| met \|/);
    assert.match(lineWith(lines, '| hot doc: wiresocket / @y/websocket-server'), /0\.60x .*\| not met \|/);
    assert.match(lineWith(lines, '| storm-1k: wiresocket (memory)'), /0\.90x \| <= 1\.00x \| met \|/);
    assert.match(lineWith(lines, '| storm-5k: wiresocket (memory)'), /1\.13x \| <= 1\.00x \| not met \|/);
    assert.match(lineWith(lines, '| busy | wiresocket (memory) |'), /\| 30\.0 \| 10\.0 \| 35\.0 \| 100% \| met \|/);
    assert.match(lineWith(lines, '| hot | wiresocket (memory) |'), /\| 34\.0 \| 10\.0 \| 35\.0 \| 100% \| met \|/);
    // The worst event-loop max over the table loads: hot's 25 ms.
    assert.match(lineWith(lines, '| wiresocket (memory) | 25.0 |'), /\| < 20 \| not met \|/);
  });

  it('puts the event-loop max next to the p99 in the summary and the load table', () => {
    const runs = [loadRun('fan-out', ours, row(8, 20, 3.5)), loadRun('many', ours, row(9, 30, null))];
    const context = { plan: quickPlan, machine: { cpuModel: 'test', cores: 2, os: 'test', node: 'v20', redis: 'none' }, date: 'now', command: 'test', pinning: 'none', commandPrefix: [], redisUrl: 'redis://x', durationSeconds: 1, chartFile: 'x.svg' };
    const report = renderPeerReport(context, [ours], runs);
    assert.match(report, /\(p99 8\.00 ms, loop max 3\.50 ms\)/);
    assert.match(report, /\| p99 ms \| max ms \| loop max ms \| loop p99 ms \|/);
    // No probe: a dash, not a zero.
    assert.match(report, /\| 9\.00 \| 3\.00 \| - \| - \|/);
  });
});
