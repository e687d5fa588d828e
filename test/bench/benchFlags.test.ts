import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseFuzzRunArgs } from '../../bench/fuzz/fuzzRunArgs.js';
import { parsePeerBenchArgs } from '../../bench/peers/peerBenchArgs.js';
import { BenchUsageError } from '../../bench/shared/benchFlags.js';
import { parseSoakArgs } from '../../bench/soak/soakPlan.js';
import { parseBenchArgs } from '../../bench/sync/benchArgs.js';

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench');

function assertUsageError(parse: () => unknown, flag: string, usage: RegExp): void {
  assert.throws(parse, (error: unknown) => {
    assert.ok(error instanceof BenchUsageError, `a usage error, got ${String(error)}`);
    assert.ok(error.message.includes(flag), `names ${flag}: ${error.message}`);
    assert.match(error.message, usage);
    return true;
  });
}

describe('benchmark command lines', () => {
  it('name the bad flag and print the usage, for every benchmark', () => {
    assertUsageError(() => parsePeerBenchArgs(['--help']), '--help', /usage: node dist\/bench\/peers\/main\.js/);
    assertUsageError(() => parsePeerBenchArgs(['--scenarios', 'busy,nope']), '--scenarios', /unknown scenario nope/);
    assertUsageError(() => parsePeerBenchArgs(['--servers']), '--servers', /usage:/);
    assertUsageError(() => parseBenchArgs(['--ladder', '10,-1']), '--ladder', /usage: node dist\/bench\/sync\/main\.js/);
    assertUsageError(() => parseSoakArgs(['--minutes', '0']), '--minutes', /usage: node dist\/bench\/soak\/main\.js/);
    assertUsageError(() => parseFuzzRunArgs(['--frames', 'many']), '--frames', /usage: node dist\/bench\/fuzz\/main\.js/);
    assertUsageError(() => parseFuzzRunArgs(['--bogus']), '--bogus', /usage:/);
    assertUsageError(() => parseFuzzRunArgs(['--hocuspocus-frames', 'lots']), '--hocuspocus-frames', /usage:/);
  });

  it('still read good flags', () => {
    assert.deepEqual(parsePeerBenchArgs(['--quick', '--servers', 'wiresocket', '--scenarios', 'busy,hot']), { quick: true, servers: ['wiresocket'], scenarios: ['busy', 'hot'] });
    assert.equal(parseSoakArgs(['--minutes', '2']).minutes, 2);
    assert.equal(parseFuzzRunArgs(['--frames', '1_000']).frames, 1000);
    assert.equal(parseFuzzRunArgs(['--frames', '1_000']).hocuspocusFrames, 200, 'a fifth of --frames by default');
    assert.equal(parseFuzzRunArgs(['--hocuspocus-frames', '0']).hocuspocusFrames, 0, '0 skips the Hocuspocus phase');
  });

  it('a bad flag exits 2 with one line on stderr, before anything starts', async () => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [path.join(benchDir, 'peers', 'main.js'), '--help'], { timeout: 20_000 }, (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
    });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^bench: Unknown option '--help'.*; usage: node dist\/bench\/peers\/main\.js[^\n]*\n$/);
  });
});
