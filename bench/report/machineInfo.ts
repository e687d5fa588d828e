import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  os: string;
  node: string;
  redis: string;
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    redis: redisServerVersion(),
  };
}

function redisServerVersion(): string {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5_000 }).trim();
  } catch {
    return 'redis-server not on PATH';
  }
}
