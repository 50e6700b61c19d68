// nginx as the e2e suites run it: the binary Debian installs, with a main config the test writes into
// its temp dir around an http-context file (a deploy/ example, rendered), and every path nginx would
// otherwise take from its build (pid, logs, temp dirs under /run, /var) pointed into that dir, so
// nothing touches a system nginx or its files.
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { hasProgram, startProgram, type Program } from './program.js';

export const hasNginx = hasProgram('nginx', ['-v']);

/** Starts nginx serving `httpContext` (the body of an http {} block); ready when `port` accepts. */
export function startNginx(dir: string, name: string, httpContext: string, port: number): Promise<Program> {
  const prefix = join(dir, name);
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  const site = join(prefix, 'site.conf');
  writeFileSync(site, httpContext);
  const temp = (what: string): string => `${what}_temp_path ${join(prefix, 'tmp', what)};`;
  const main = join(prefix, 'nginx.conf');
  writeFileSync(main, [
    'worker_processes 1;',
    'events { worker_connections 256; }',
    'http {',
    `  access_log ${join(prefix, 'access.log')};`,
    `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
    `  include ${site};`,
    '}',
    '',
  ].join('\n'));
  const args = ['-p', prefix, '-c', main, '-e', 'stderr',
    '-g', `daemon off; master_process on; pid ${join(prefix, 'nginx.pid')}; error_log stderr warn;`];
  return startProgram(`nginx (${name})`, 'nginx', args, () => accepts(port));
}

/** True when a TCP connection to 127.0.0.1:port is accepted (then closed). */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => { sock.destroy(); resolve(true); });
    sock.setTimeout(1_000, () => { sock.destroy(); resolve(false); });
    sock.on('error', () => resolve(false));
  });
}
