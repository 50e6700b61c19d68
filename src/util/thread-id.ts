// The OS thread id of the calling thread (Linux), for per-thread CPU accounting from
// /proc/<pid>/task/<tid>/stat; 0 where it cannot be known. And the thread's OS name (its `comm`), so
// `top -H`, `perf` and the bench tell io-01 from swarm-01: Node 20 leaves every thread named "node"
// whatever the Worker's `name` option says.
import { readlinkSync, writeFileSync } from 'node:fs';

export function threadId(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return 0;
  }
}

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
