// Native TLS is checked when the config is loaded, not when the first I/O thread hands the files to
// uWebSockets.js (which only says that it cannot listen): a missing file, a PEM that does not parse or
// a key that does not match the certificate is a config error naming the key and the path.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Config } from './config.js';
import { ConfigError } from './config-error.js';
import { describeReadError } from './read-errors.js';

type TlsKey = 'tlsCertPath' | 'tlsKeyPath';

function fail(key: TlsKey, path: string, why: string): never {
  throw new ConfigError(`config: ${key}: ${JSON.stringify(path)}: ${why}`, key);
}

function read(key: TlsKey, path: string): Buffer {
  if (path === '') fail(key, path, 'required when httpsListenAddr is set');
  try {
    return readFileSync(path);
  } catch (err) {
    return fail(key, path, describeReadError(err));
  }
}

/** One line of an OpenSSL error, without its library codes. */
function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/i, '');
}

/**
 * With httpsListenAddr set: both files readable, the certificate and key parse as PEM and belong
 * together. Throws ConfigError; a certificate outside its validity period is only a warning (a
 * clock can be wrong, and clients decide).
 */
export function checkTlsFiles(c: Config, warnings: string[]): void {
  if (c.httpsListenAddr === null) {
    if (c.tlsCertPath !== '' || c.tlsKeyPath !== '') warnings.push('config: tlsCertPath/tlsKeyPath are set but httpsListenAddr is empty: TLS is off');
    return;
  }
  const certPem = read('tlsCertPath', c.tlsCertPath);
  const keyPem = read('tlsKeyPath', c.tlsKeyPath);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    fail('tlsCertPath', c.tlsCertPath, `not a PEM certificate (${reason(err)})`);
  }
  try {
    const key = createPrivateKey(keyPem);
    if (key.type !== 'private') throw new Error('not a private key');
  } catch (err) {
    fail('tlsKeyPath', c.tlsKeyPath, `not an unencrypted PEM private key (${reason(err)})`);
  }
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) fail('tlsKeyPath', c.tlsKeyPath, `does not match the certificate in tlsCertPath ${JSON.stringify(c.tlsCertPath)}`);
  try {
    createSecureContext({ cert: certPem, key: keyPem });
  } catch (err) {
    fail('tlsCertPath', c.tlsCertPath, `unusable with tlsKeyPath (${reason(err)})`);
  }
  const now = Date.now();
  if (Date.parse(cert.validTo) < now) warnings.push(`config: tlsCertPath: ${JSON.stringify(c.tlsCertPath)}: certificate expired on ${cert.validTo}`);
  else if (Date.parse(cert.validFrom) > now) warnings.push(`config: tlsCertPath: ${JSON.stringify(c.tlsCertPath)}: certificate not valid before ${cert.validFrom}`);
}
