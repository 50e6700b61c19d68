// The deployment examples under deploy/, rendered for a test: the committed file as written, with only
// the values an operator changes (ports, paths, upstream addresses) replaced. Each replaced text must
// occur in the file, so an example that drifts from what its test substitutes fails loudly instead of
// being run with the example's own (unreachable) addresses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './process.js';

export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');

/** `deploy/<relPath>` with every `[from, to]` applied to all occurrences; throws when a `from` is absent. */
export function renderExample(relPath: string, replacements: ReadonlyArray<readonly [string, string]>): string {
  let text = readFileSync(join(DEPLOY_DIR, relPath), 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`deploy/${relPath} no longer contains ${JSON.stringify(from)}: update the test's substitutions`);
    text = text.split(from).join(to);
  }
  return text;
}

type ListenKey = 'httpListenAddr' | 'apiListenAddr' | 'udpListenAddr';

/**
 * A hayate config.json example with its listen addresses replaced (each must be set in the example);
 * every other key stays as written.
 */
export function renderHayateConfig(relPath: string, listen: Record<ListenKey, string>): string {
  const config = JSON.parse(readFileSync(join(DEPLOY_DIR, relPath), 'utf8')) as Record<string, unknown>;
  for (const [key, value] of Object.entries(listen)) {
    if (typeof config[key] !== 'string') throw new Error(`deploy/${relPath} has no ${key}: update the test`);
    config[key] = value;
  }
  return JSON.stringify(config, null, 2);
}
