// Starts a trivial responder (bench/responders/*) as a child process on the server CPUs.
import { Child } from './child.js';
import { fileURLToPath } from 'node:url';
import { pinned } from './pinning.js';

export type ResponderKind = 'http' | 'udp';

const SCRIPT: Record<ResponderKind, URL> = {
  http: new URL('../responders/http-responder.js', import.meta.url),
  udp: new URL('../responders/udp-responder.js', import.meta.url),
};

export interface Responder {
  kind: ResponderKind;
  port: number;
  child: Child;
}

export async function startResponder(kind: ResponderKind, serverCpus: string | null): Promise<Responder> {
  const cmd = pinned(serverCpus, process.execPath, [fileURLToPath(SCRIPT[kind])]);
  const child = new Child(cmd.command, cmd.args, `${kind}-responder`);
  const m = await child.waitForLine(/^PORT (\d+)$/, 10_000);
  return { kind, port: Number(m[1]), child };
}
