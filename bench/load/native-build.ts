// Builds a native generator (bench/load/native/*.c) with the system C compiler, on demand: only when the binary
// is missing or older than its source, so a run normally costs one stat. Into build/ (git-ignored). Optional
// like wrk: without a compiler (or off Linux) the caller falls back to the Node generator, with the reason.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export type NativeBuild = { ok: true; binary: string; compiled: boolean } | { ok: false; reason: string };

const FLAGS = ['-O2', '-Wall', '-Wextra', '-std=gnu11'];
const COMPILE_TIMEOUT_MS = 120_000;

/** `cc`, else `gcc`; null when neither runs. */
export function findCompiler(): string | null {
  for (const cc of ['cc', 'gcc']) {
    const r = spawnSync(cc, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    if (r.error === undefined && r.status === 0) return cc;
  }
  return null;
}

export function buildNative(source: string, binary: string, extraFlags: string[] = []): NativeBuild {
  if (process.platform !== 'linux') return { ok: false, reason: `native generators are Linux only (this is ${process.platform})` };
  if (!existsSync(source)) return { ok: false, reason: `${source} is missing` };
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return { ok: true, binary, compiled: false };
  const cc = findCompiler();
  if (cc === null) return { ok: false, reason: 'no C compiler found (cc or gcc)' };
  mkdirSync(dirname(binary), { recursive: true });
  // Compiled beside the target and renamed: a concurrent run (two test files) never sees half a binary.
  const tmp = `${binary}.${process.pid}.tmp`;
  const r = spawnSync(cc, [...FLAGS, ...extraFlags, '-o', tmp, source], { encoding: 'utf8', timeout: COMPILE_TIMEOUT_MS });
  if (r.error !== undefined || r.status !== 0) {
    rmSync(tmp, { force: true });
    const why = r.error?.message ?? (r.stderr.split('\n').find((l) => /error/.test(l)) ?? r.stderr.split('\n')[0] ?? '').trim();
    return { ok: false, reason: `${cc} could not compile ${source}: ${why || `exit ${r.status}`}`.slice(0, 300) };
  }
  renameSync(tmp, binary);
  return { ok: true, binary, compiled: true };
}
