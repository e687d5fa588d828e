import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { exitOf, stopChild, trackChild } from '../shared/childProcesses.js';
import { LoopDelayReader, loopProbeFlags } from '../shared/loopDelayReader.js';
import { repoRoot, serverNodeFlags } from '../shared/serveProcess.js';
import { withDeadline } from '../shared/withDeadline.js';

/** A peer server script under dist/bench/peers/servers/ (compiled from bench/peers/servers/). */
export type PeerScript = 'yWebsocketServerPeer' | 'hocuspocusPeer' | 'wsRelayPeer';

/** One running peer whose `peer listening` line has been read. */
export interface PeerNode {
  pid: number;
  url: string;
  loopDelay: LoopDelayReader;
  stop(timeoutMs?: number): Promise<void>;
}

const startTimeoutMs = 15_000;

/** Compiled beside this file (dist/bench/peers/servers/). */
const peersDirectory = fileURLToPath(new URL('./servers/', import.meta.url));

export function peerArguments(script: PeerScript, commandPrefix: readonly string[]): string[] {
  return [...commandPrefix, process.execPath, ...serverNodeFlags(), ...loopProbeFlags(), path.join(peersDirectory, `${script}.js`)];
}

/** Starts a peer script (pinned by `commandPrefix`) and resolves once it listens. */
export async function startPeer(script: PeerScript, commandPrefix: readonly string[]): Promise<PeerNode> {
  const [command, ...args] = peerArguments(script, commandPrefix);
  const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  trackChild(child);
  const { stdout, stderr: errors } = child;
  if (!stdout || !errors) throw new Error(`${script} spawned without pipes`);
  let stderr = '';
  errors.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
    // A peer that complains during a run (errors, warnings) is worth seeing next to the numbers.
    process.stderr.write(`${script}: ${chunk}`);
  });
  try {
    const listening = new Promise<string>((resolve) => {
      createInterface({ input: stdout.setEncoding('utf8') }).on('line', (line) => {
        const match = /^peer listening (ws:\/\/\S+)$/.exec(line);
        if (match) resolve(match[1]);
        else process.stderr.write(`${script}: ${line}\n`);
      });
    });
    const exited = exitOf(child).then(() => {
      throw new Error(`${script} exited (${child.exitCode ?? child.signalCode}) before listening: ${stderr}`);
    });
    const url = await withDeadline(Promise.race([listening, exited]), startTimeoutMs, `${script} to listen`);
    return { pid: child.pid ?? -1, url, loopDelay: new LoopDelayReader(child), stop: (timeoutMs = 5_000) => stopChild(child, timeoutMs) };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
