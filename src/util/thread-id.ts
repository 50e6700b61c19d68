// The OS thread id of the calling thread (Linux), for per-thread CPU accounting from
// /proc/<pid>/task/<tid>/stat; 0 where it cannot be known.
import { readlinkSync } from 'node:fs';

export function threadId(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return 0;
  }
}
