// hayate's optional native addon (native/reuseport/reuseport.c, built by scripts/build-native.mjs into
// build/native/reuseport.node with the system C compiler): SO_REUSEPORT UDP sockets.
// Loaded once per thread; everything that uses it works (less well) without it, and says why.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Overrides where the addon is looked for (a missing file forces the fallback: tests, diagnosis). */
export const REUSEPORT_ADDON_ENV = 'HAYATE_REUSEPORT_ADDON';

export type NativeAddon = { ok: true; addon: Record<string, unknown> } | { ok: false; reason: string };

const loaded = new Map<string, NativeAddon>();
const require = createRequire(import.meta.url);

/**
 * The repository root: the first directory above this module holding package.json (this file runs from
 * dist/util/ and, in tests, from build/src/util/).
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/** Where the addon is looked for: $HAYATE_REUSEPORT_ADDON, else build/native/reuseport.node. */
export function defaultAddonPath(): string {
  const fromEnv = process.env[REUSEPORT_ADDON_ENV];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(packageRoot(), 'build', 'native', 'reuseport.node');
}

export function loadNativeAddon(addonPath = defaultAddonPath()): NativeAddon {
  let l = loaded.get(addonPath);
  if (l !== undefined) return l;
  if (process.platform !== 'linux') l = { ok: false, reason: `the native addon is built for Linux only (this is ${process.platform})` };
  else if (!existsSync(addonPath)) l = { ok: false, reason: `${addonPath} is missing (built by \`npm run build\` when a C compiler is present)` };
  else {
    try {
      l = { ok: true, addon: require(addonPath) as Record<string, unknown> };
    } catch (err) {
      l = { ok: false, reason: `${addonPath} did not load: ${(err as Error).message}`.slice(0, 300) };
    }
  }
  loaded.set(addonPath, l);
  return l;
}
