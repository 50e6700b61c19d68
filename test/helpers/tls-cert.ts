// A self-signed certificate for the TLS tests, made by the `openssl` program (EC P-256: fast to make):
// CN localhost, subjectAltName IP 127.0.0.1, ::1 and DNS localhost. null when openssl is missing (the
// tests then skip, saying so).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCert {
  certPath: string;
  keyPath: string;
  certPem: string;
}

export function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

export const NO_OPENSSL = 'the openssl program is missing (apt-get install openssl): no test certificate can be made';

/** Writes `<name>.cert.pem` and `<name>.key.pem` into `dir`. */
export function makeSelfSigned(dir: string, name: string): TestCert {
  const certPath = join(dir, `${name}.cert.pem`);
  const keyPath = join(dir, `${name}.key.pem`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { certPath, keyPath, certPem: readFileSync(certPath, 'utf8') };
}
