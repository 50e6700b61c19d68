// `npm start`: builds dist/ when a source file is newer than the last build, then runs the tracker on
// its built-in defaults (or with the flags given after `npm start --`). Installs nothing.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const built = existsSync('dist/main.js') ? statSync('dist/main.js').mtimeMs : 0;
if (built < Math.max(newestMtime('src'), statSync('tsconfig.json').mtimeMs)) {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}
// The optional SO_REUSEPORT addon (UDP on every I/O thread); it says why when it cannot be built.
spawnSync(process.execPath, ['scripts/build-native.mjs'], { stdio: 'inherit' });
const run = spawnSync(process.execPath, ['dist/main.js', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
