// Builds hayate's optional native addon, native/reuseport/reuseport.c -> build/native/reuseport.node
// (per-thread SO_REUSEPORT UDP sockets; see src/frontends/udp/reuseport.ts), with the system C compiler
// against Node-API headers (those of the Node that runs this script, else node-api-headers): no
// node-gyp, no download, no install script (npm does not run those here). Only when the addon is
// missing or older than its source.
//
// Never fails the build: without a compiler (or off Linux) it says why and exits 0, and hayate then
// serves UDP from one socket on its first I/O thread (it says so at start). `--strict` exits 1 instead.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIR = join(root, 'native', 'reuseport');
const SOURCES = ['reuseport.c', 'batch-io.c'].map((f) => join(SOURCE_DIR, f));
const INPUTS = [...SOURCES, join(SOURCE_DIR, 'batch-io.h')];
const TARGET = join(root, 'build', 'native', 'reuseport.node');
const FLAGS = ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-fPIC', '-shared', '-fvisibility=hidden'];
const COMPILE_TIMEOUT_MS = 120_000;
const strict = process.argv.includes('--strict');

function skip(reason) {
  console.error(`build-native: reuseport addon not built: ${reason}; UDP is then served by one socket, on io-01`);
  process.exit(strict ? 1 : 0);
}

// <prefix>/bin/node -> <prefix>/include/node, where node_api.h ships with official Node builds; images
// and distributions that strip the headers are covered by the node-api-headers package (a dev
// dependency, so `npm ci` brings it): the addon uses Node-API only, whose headers are the same for every
// Node version.
const includeDir = [
  join(dirname(dirname(process.execPath)), 'include', 'node'),
  join(root, 'node_modules', 'node-api-headers', 'include'),
].find((d) => existsSync(join(d, 'node_api.h')));

if (process.platform !== 'linux') skip(`SO_REUSEPORT sockets are Linux only (this is ${process.platform})`);
if (existsSync(TARGET) && INPUTS.every((f) => statSync(TARGET).mtimeMs >= statSync(f).mtimeMs)) process.exit(0);
if (includeDir === undefined) skip(`no node_api.h in ${join(dirname(dirname(process.execPath)), 'include', 'node')} nor in node_modules/node-api-headers (npm ci installs it)`);
const cc = ['cc', 'gcc'].find((c) => {
  const r = spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.error === undefined && r.status === 0;
});
if (cc === undefined) skip('no C compiler found (cc or gcc)');

mkdirSync(dirname(TARGET), { recursive: true });
// Compiled beside the target and renamed: a process loading the addon never sees half a file.
const tmp = `${TARGET}.${process.pid}.tmp`;
const r = spawnSync(cc, [...FLAGS, `-I${includeDir}`, '-o', tmp, ...SOURCES], { encoding: 'utf8', timeout: COMPILE_TIMEOUT_MS });
if (r.error !== undefined || r.status !== 0) {
  rmSync(tmp, { force: true });
  const why = r.error?.message ?? (r.stderr.split('\n').find((l) => /error/.test(l)) ?? r.stderr.trim().split('\n')[0] ?? '').trim();
  skip(`${cc} could not compile ${SOURCE_DIR}: ${why || `exit ${r.status}`}`.slice(0, 400));
}
renameSync(tmp, TARGET);
console.error(`build-native: built ${TARGET} (${cc}, Node-API headers from ${includeDir})`);
