// OS thread names by role (io-01, swarm-01, cluster-01, jwt-01), so `top -H`, `perf`, the bench and
// /proc/<pid>/task/*/comm tell hayate's threads apart: Node 20 leaves every thread named "node" whatever
// the Worker's `name` option says.
import { writeFileSync } from 'node:fs';

/** io-01, swarm-02, ...: a thread's name from its role and 0-based index. */
export function threadName(role: string, index: number): string {
  return `${role}-${String(index + 1).padStart(2, '0')}`;
}

/** Sets the calling thread's OS name (Linux keeps the first 15 bytes); does nothing where it cannot. */
export function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // not Linux, or /proc not mounted: only diagnostics lose the name
  }
}
