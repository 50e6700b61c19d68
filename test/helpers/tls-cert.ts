// A self-signed certificate for the TLS tests and the TLS-terminating proxies the e2e suites start, made
// by the `openssl` program (node:crypto cannot issue certificates; EC P-256 is fast to make): CN
// localhost, subjectAltName IP 127.0.0.1, ::1 and DNS localhost. Clients trust it as their only CA.
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

export function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

export const NO_OPENSSL = 'the openssl program is missing (apt-get install openssl): no test certificate can be made';

/** Writes `<name>.cert.pem`, `<name>.key.pem` and `<name>.pem` (both) into `dir`. */
export function makeSelfSigned(dir: string, name = 'hayate'): TestCert {
  const certPath = join(dir, `${name}.cert.pem`);
  const keyPath = join(dir, `${name}.key.pem`);
  const pemPath = join(dir, `${name}.pem`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`openssl req -x509 failed (${r.status ?? r.error?.message}): ${r.stderr}`);
  const certPem = readFileSync(certPath, 'utf8');
  writeFileSync(pemPath, certPem + readFileSync(keyPath, 'utf8'));
  return { certPath, keyPath, pemPath, certPem };
}
