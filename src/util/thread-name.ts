// OS thread names by role (io-01, swarm-01, cluster-01, jwt-01), so `top -H`, `perf` and
// /proc/<pid>/task/*/comm tell hayate's threads apart; Node itself names none of them. Needs the native
// addon; without it the threads keep Node's name, which costs nothing but the view.
import { loadNativeAddon } from './native-addon.js';

export function nameThisThread(name: string): void {
  const l = loadNativeAddon();
  if (!l.ok || typeof l.addon.setThreadName !== 'function') return;
  try {
    (l.addon.setThreadName as (n: string) => void)(name.slice(0, 15));
  } catch {
    // a name is a convenience, never a reason to fail
  }
}
