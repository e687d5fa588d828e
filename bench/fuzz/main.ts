/**
 * Issue 6, the long fuzz: `npm run fuzz` sends 1,000,000 seeded frames (the generator of the
 * 10,000-frame test, test/helpers/fuzzFrames.ts) to a real `wiresocket serve` child over many
 * raw sockets, next to a well-behaved stock y-websocket writer. It passes when no close says
 * "server bug" (1011) or falls outside the codes hostile input may provoke, no probe hangs, the
 * server is still running, a fresh client receives exactly the writer's document, and the
 * server's RSS after a full GC at the end is within 10% of the same reading after the warm-up
 * (RSS at rest is reported too). Then a Hocuspocus phase (HOCUS-14, `--hocuspocus-frames`,
 * hocuspocusPhase.ts) sends Hocuspocus bursts at `/`, next to a clean HocuspocusProvider on the
 * writer's document, which the fuzz addresses too; it must stay what the clean clients wrote. The summary goes to stdout and, for a full-length run, to
 * docs/benchmarks/fuzz.md; the exit code is 1 on any failure. Flags: see fuzzRunArgs.ts.
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { commandLine } from '../report/commandLine.js';
import { machineInfo } from '../report/machineInfo.js';
import { mib } from '../report/reportFormat.js';
import { armHardLimit, killChildrenOnExit, runBenchmark } from '../shared/childProcesses.js';
import { processRssBytes } from '../shared/processCpu.js';
import { repoRoot, serveArguments, startServeNode, type ServeNode, type ServeOptions } from '../shared/serveProcess.js';
import { defaultWorkerIdleMs } from '../../src/sync/compactionMerger.js';
import { fuzzFrameSource } from '../../test/helpers/fuzzFrames.js';
import { sendFuzzTraffic, type FuzzTraffic } from '../../test/helpers/fuzzTraffic.js';
import { CleanWriter, syncsAfresh } from './cleanWriter.js';
import { runHocuspocusPhase, type HocuspocusPhaseResult } from './hocuspocusPhase.js';
import { renderFuzzReport, rssGrowthLimit, type FuzzRunResult } from './fuzzReport.js';
import { defaultFuzzFrames, parseFuzzRunArgs, type FuzzRunArgs } from './fuzzRunArgs.js';
import { restingMemory } from './restingMemory.js';
import { ServeLogTally } from './serveLogTally.js';
import { freeLoopbackPort, ServerInspector } from './serverInspector.js';

const maxMessageBytes = 64 * 1024;
/** Short, so the fuzz sessions end (and free their memory) soon after their sockets close. */
const graceMs = 1_000;
/**
 * Memory is read at rest: the fuzz sessions' grace over, and the compaction worker (started once
 * a fuzzed document grows past the inline-merge size, with a V8 heap of its own) idle long
 * enough to have stopped, as it does on any quiet server.
 */
const restMs = graceMs + defaultWorkerIdleMs;
/**
 * The serve settings beyond serveProcess.ts's flags. Its options take no extra flags, so
 * `--max-message-bytes` goes in as its variable (same setting). The limits are raised so the
 * fuzzer measures input handling, not the limits; variables the server does not know yet are
 * ignored.
 */
const serveEnv: Readonly<Record<string, string>> = {
  WIRESOCKET_MAX_MESSAGE_BYTES: String(maxMessageBytes),
  WIRESOCKET_MAX_CONNECTS_PER_IP_PER_MINUTE: '0',
  WIRESOCKET_MAX_MESSAGES_PER_SECOND: '1000000',
  WIRESOCKET_MESSAGE_BURST: '1000000',
  WIRESOCKET_MAX_AWARENESS_PER_SECOND: '1000000',
};
/** Close codes hostile input may provoke (as in test/documents/fuzz.test.ts); 1011 is a server bug. The Hocuspocus phase's: hocuspocusFuzzCloseCodes. */
const allowedCloseCodes = new Set([4400, 1009, 1002, 1008, 1013, 1006]);
const probeTimeoutMs = 10_000;
/** Fuzz sockets per document: several clients share each fuzzed session. */
const socketsPerDocument = 4;
const editEveryFrames = 1_000;
const cleanDocument = 'fuzz-clean';
const reportPath = path.join(repoRoot, 'docs', 'benchmarks', 'fuzz.md');

async function main(): Promise<number> {
  const started = performance.now();
  const args = parseFuzzRunArgs(process.argv.slice(2));
  const limitMs = args.timeLimitMinutes * 60_000;
  killChildrenOnExit();
  armHardLimit(limitMs);
  const logs = new ServeLogTally(20);
  const dataDir = await mkdtemp(path.join(dataDirParent(), 'wiresocket-fuzz-'));
  // A Ctrl-C or the hard limit exits without the finally below.
  process.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const serveOptions: ServeOptions = { dataDir, graceMs, commandPrefix: [], env: serveEnv };
  // The inspector, on a loopback port of the run's own, lets the RSS readings follow a full GC.
  const inspectPort = await freeLoopbackPort();
  process.env.BENCH_SERVER_NODE_FLAGS = `${process.env.BENCH_SERVER_NODE_FLAGS ?? ''} --inspect=127.0.0.1:${inspectPort}`.trim();
  let server: ServeNode | null = null;
  let inspector: ServerInspector | null = null;
  let writer: CleanWriter | null = null;
  try {
    server = await startServeNode(serveOptions);
    if (server.token === null) throw new Error('serve printed no dev token (the data dir was not empty)');
    inspector = await ServerInspector.connect(inspectPort);
    writer = await CleanWriter.connect(server.url, server.token, cleanDocument);
    // The checks at the end need about a minute; the frames get the rest of the time limit.
    const stopAt = started + limitMs - 90_000;
    const result = await fuzzAndCheck(args, { server, token: server.token, inspector, writer }, stopAt);
    const report = renderFuzzReport({
      ...result,
      serveLogLines: logs.byMessage,
      date: new Date().toISOString(),
      command: ['npm run fuzz', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      serveCommand: `${Object.entries(serveEnv).map(([name, value]) => `${name}=${value}`).join(' ')} ${commandLine(serveArguments(serveOptions)).replace(dataDir, path.join(dataDirParent(), 'wiresocket-fuzz-XXXXXX')).replace(`:${inspectPort} `, ':<free port> ')}`,
      machine: machineInfo(),
      totalSeconds: (performance.now() - started) / 1000,
    });
    process.stdout.write(report);
    // A shorter run (--frames) is for trying things out; the file holds full-length runs.
    if (args.frames >= defaultFuzzFrames) {
      await mkdir(path.dirname(reportPath), { recursive: true });
      await writeFile(reportPath, report);
      process.stderr.write(`written to ${path.relative(repoRoot, reportPath)}\n`);
    }
    return result.failures.length === 0 ? 0 : 1;
  } finally {
    logs.stop();
    writer?.close();
    inspector?.close();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

type Measured = Omit<FuzzRunResult, 'date' | 'command' | 'serveCommand' | 'machine' | 'totalSeconds' | 'serveLogLines'>;

interface RunContext {
  server: ServeNode;
  token: string;
  inspector: ServerInspector;
  writer: CleanWriter;
}

/** Warm-up, memory at the start, the frames, the checks, memory at the end. */
async function fuzzAndCheck(args: FuzzRunArgs, { server, token, inspector, writer }: RunContext, stopAt: number): Promise<Measured> {
  const documents = Math.ceil(args.sockets / socketsPerDocument);
  const urls = Array.from({ length: args.sockets }, (_, index) => `${server.url}/fuzz-${index % documents}`);
  // Another seed, so the counted frames are exactly those of `--seed` from index 0.
  const warmupSeed = (args.seed + 1) >>> 0;
  const warmupFrames = Math.min(20_000, Math.ceil(args.frames / 10));
  let rssPeakBytes = 0;
  /** One run of the sockets over `frames` frames of `seed`, with a progress line every 10 s. */
  const phase = async (label: string, seed: number, frames: number, onFrame?: (index: number) => void): Promise<FuzzTraffic> => {
    let drawn = 0;
    const phaseStarted = performance.now();
    const progress = setInterval(() => {
      const rss = readRss(server.pid);
      rssPeakBytes = Math.max(rssPeakBytes, rss);
      const seconds = (performance.now() - phaseStarted) / 1000;
      process.stderr.write(`  ${label}: ${drawn} of ${frames} frames, ${(drawn / seconds).toFixed(0)}/s, serve RSS ${mib(rss)}\n`);
    }, 10_000);
    try {
      return await sendFuzzTraffic({
        urls,
        token,
        totalFrames: frames,
        nextFrame: fuzzFrameSource(seed, maxMessageBytes),
        maxMessageBytes,
        framesPerProbe: args.framesPerProbe,
        timeoutMs: probeTimeoutMs,
        allowedCloseCodes,
        onFrame: (index) => {
          drawn = index + 1;
          onFrame?.(index);
        },
        shouldStop: () => performance.now() > stopAt,
      });
    } finally {
      clearInterval(progress);
    }
  };

  const warmup = await phase('warm-up', warmupSeed, warmupFrames);
  const rssStart = await restingMemory(server.pid, inspector, restMs);
  process.stderr.write(`serve RSS after the warm-up: ${mib(rssStart.atRest.bytes)} at rest, ${mib(rssStart.afterGc.bytes)} after a full GC\n`);
  rssPeakBytes = rssStart.atRest.bytes;
  const runStarted = performance.now();
  const traffic = await phase('run', args.seed, args.frames, (index) => {
    if (index % editEveryFrames === 0) writer.edit(index);
  });
  const elapsedSeconds = (performance.now() - runStarted) / 1000;
  process.stderr.write(`${traffic.framesSent} frames in ${elapsedSeconds.toFixed(1)} s\n`);
  const hocuspocus = args.hocuspocusFrames === 0 ? null : await hocuspocusPhase(args, server, token, stopAt, (rss) => (rssPeakBytes = Math.max(rssPeakBytes, rss)));
  process.stderr.write('checking\n');

  const fuzzedDocumentSyncs = await syncsAfresh(server.url, token, 'fuzz-0');
  const rssEnd = await restingMemory(server.pid, inspector, restMs);
  const serverAlive = isAlive(server.pid);
  const documentMismatch = await writer.compareFreshClient();
  const measured = {
    seed: args.seed,
    framesRequested: args.frames,
    warmupFrames,
    warmupSeed,
    sockets: args.sockets,
    documents,
    framesPerProbe: args.framesPerProbe,
    traffic,
    elapsedSeconds,
    serverAlive,
    rssStart,
    rssEnd,
    rssPeakBytes,
    writerEdits: writer.edits,
    writerCloses: writer.closes,
    documentMismatch,
    fuzzedDocumentSyncs,
    hocuspocus,
  };
  return { ...measured, failures: failuresOf(measured, warmup, args.hocuspocusFrames) };
}

/** The Hocuspocus phase, with a progress line every 10 s. */
async function hocuspocusPhase(args: FuzzRunArgs, server: ServeNode, token: string, stopAt: number, onRss: (rss: number) => void): Promise<HocuspocusPhaseResult> {
  let drawn = 0;
  const started = performance.now();
  const progress = setInterval(() => {
    const rss = readRss(server.pid);
    onRss(rss);
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`  hocuspocus: ${drawn} of ${args.hocuspocusFrames} frames, ${(drawn / seconds).toFixed(0)}/s, serve RSS ${mib(rss)}\n`);
  }, 10_000);
  try {
    const result = await runHocuspocusPhase({
      serverUrl: server.url,
      token,
      // Its own seed, so the y-websocket frames of `--seed` stay the test's.
      seed: (args.seed ^ 0x16) >>> 0,
      frames: args.hocuspocusFrames,
      sockets: Math.max(1, Math.ceil(args.sockets / 4)),
      maxMessageBytes,
      timeoutMs: probeTimeoutMs,
      cleanDocument,
      shouldStop: () => performance.now() > stopAt,
      onProgress: (index) => (drawn = index),
    });
    process.stderr.write(`${result.traffic.framesSent} Hocuspocus frames in ${result.elapsedSeconds.toFixed(1)} s\n`);
    return result;
  } finally {
    clearInterval(progress);
  }
}

/** Why the run failed, in the report's words; empty for a pass. */
function failuresOf(result: Omit<Measured, 'failures'>, warmup: FuzzTraffic, hocuspocusFrames: number): string[] {
  const failures: string[] = [];
  const { traffic } = result;
  if (!result.serverAlive) failures.push('the serve process exited');
  if (traffic.failureCount + warmup.failureCount > 0) failures.push(`${traffic.failureCount + warmup.failureCount} closes outside the allowed codes, probe timeouts or failed upgrades`);
  if (traffic.framesSent < result.framesRequested) failures.push(`only ${traffic.framesSent} frames sent within the time limit`);
  if (result.documentMismatch !== null) failures.push(`the clean document differs: ${result.documentMismatch}`);
  if (result.writerCloses.length > 0) failures.push(`the writer was disconnected ${result.writerCloses.length} times`);
  if (!result.fuzzedDocumentSyncs) failures.push('a fresh client could not sync a fuzzed document');
  const { hocuspocus } = result;
  if (hocuspocus) {
    if (hocuspocus.traffic.failureCount > 0) failures.push(`Hocuspocus phase: ${hocuspocus.traffic.failureCount} closes outside the allowed codes, probe timeouts or failed upgrades`);
    if (hocuspocus.traffic.framesSent < hocuspocusFrames) failures.push(`Hocuspocus phase: only ${hocuspocus.traffic.framesSent} frames sent within the time limit`);
    if (hocuspocus.mismatch !== null) failures.push(`Hocuspocus phase: the clean document differs: ${hocuspocus.mismatch}`);
    if (hocuspocus.disconnects > 0) failures.push(`Hocuspocus phase: the clean provider was disconnected ${hocuspocus.disconnects} times`);
  }
  const [start, end] = [result.rssStart.afterGc.bytes, result.rssEnd.afterGc.bytes];
  if (end > start * (1 + rssGrowthLimit)) failures.push(`serve RSS after a full GC grew from ${mib(start)} to ${mib(end)}`);
  return failures;
}

/**
 * tmpfs when the machine has one: about half the frames cost a reconnect, and each connect and
 * disconnect is a libSQL transaction on the data dir's file; on a disk their fsyncs (2-3 ms on
 * a shared VM disk) would make the run measure the disk, not the server.
 */
function dataDirParent(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

function readRss(pid: number): number {
  try {
    return processRssBytes(pid);
  } catch {
    return 0;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

runBenchmark(main);
