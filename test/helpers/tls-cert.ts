// A self-signed certificate for 127.0.0.1 made with `openssl req -x509` (node:crypto cannot issue
// certificates), for the TLS-terminating proxies the e2e suites start. Clients trust it as their only CA.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCert {
  certPath: string;
  keyPath: string;
  /** Certificate and key in one file (HAProxy's `crt`). */
  pemPath: string;
  /** The certificate, for a client's `ca`. */
  certPem: string;
}

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

export function makeSelfSignedCert(dir: string): TestCert {
  const certPath = join(dir, 'hayate.crt');
  const keyPath = join(dir, 'hayate.key');
  const pemPath = join(dir, 'hayate.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyPath, '-out', certPath], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`openssl req -x509 failed (${r.status ?? r.error?.message}): ${r.stderr}`);
  const certPem = readFileSync(certPath, 'utf8');
  writeFileSync(pemPath, certPem + readFileSync(keyPath, 'utf8'));
  return { certPath, keyPath, pemPath, certPem };
}
