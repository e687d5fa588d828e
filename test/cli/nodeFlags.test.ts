import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { withTimeout } from '../helpers/yjsClient.js';
import { childEnv, repoRoot } from './cliProcess.js';

const launcher = path.join(repoRoot, 'bin', 'wiresocket.js');
const flag = '--max-semi-space-size=16';

describe('cli: the node flags the server ships with', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('PERF-3: the bin (through its shebang) and `npm start` run node with a bounded young generation', async () => {
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, `node ${flag} bin/wiresocket.js serve`);

    const dataDir = await mkdtemp(path.join(tmpdir(), 'wiresocket-flags-'));
    // Executed as a file, so the kernel reads the shebang: this is how `npx wiresocket` starts.
    const child = spawn(launcher, ['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { cwd: repoRoot, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    });
    const serving = new Promise<void>((resolve) => createInterface({ input: child.stdout }).on('line', (line) => line.startsWith('wiresocket serving ') && resolve()));
    await withTimeout(serving, 30_000, 'the serve banner');
    const argv = (await readFile(`/proc/${child.pid}/cmdline`, 'utf8')).split('\0');
    assert.ok(argv.includes(flag), `node runs with ${flag}: ${argv.join(' ')}`);
    assert.ok(argv.indexOf(flag) < argv.indexOf(launcher), 'as a node flag, before the script');
  });
});
