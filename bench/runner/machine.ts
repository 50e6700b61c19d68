// Where a result was measured: CPU model, cores, memory, kernel, Node version, tools, git commit.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { hasTaskset } from '../env/pinning.js';
import { wrkVersion } from '../load/wrk.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  platform: string;
  node: string;
  taskset: boolean;
  wrk: string | null;
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m !== null) cpuModel = m[1]!.trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpuModel,
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    platform: `${os.platform()}-${os.arch()}`,
    node: process.version,
    taskset: hasTaskset(),
    wrk: wrkVersion(),
  };
}

export interface GitInfo {
  commit: string;       // short hash, or "unknown"
  dirty: boolean | null;
}

/** The checkout in `dir` (default: the working directory). */
export function gitInfo(dir?: string): GitInfo {
  const git = (args: string[]): string | null => {
    try {
      return execFileSync('git', args, { cwd: dir, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no']);
  return { commit: commit ?? 'unknown', dirty: status === null ? null : status !== '' };
}
