// Native TLS settings checked at load time: httpsListenAddr needs both files, each readable, a PEM
// certificate and an unencrypted PEM key that belong together; every mistake is one line naming the
// key and the path.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { hasOpenssl, makeSelfSigned, NO_OPENSSL } from '../../helpers/tls-cert.js';

const dir = mkdtempSync(join(tmpdir(), 'hayate-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function parse(keys: Record<string, unknown>): { config: ReturnType<typeof parseConfig>['config']; warnings: string[] } {
  return parseConfig(JSON.stringify(keys), 'config.json');
}

function configError(keys: Record<string, unknown>): ConfigError {
  try {
    parse(keys);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.doesNotMatch(err.message, /\n/, 'one line');
    return err;
  }
  throw new Error('no ConfigError');
}

describe('TLS config', { skip: hasOpenssl() ? false : NO_OPENSSL }, () => {
  const good = hasOpenssl() ? makeSelfSigned(dir, 'good') : null;
  const other = hasOpenssl() ? makeSelfSigned(dir, 'other') : null;
  const https = { httpsListenAddr: '127.0.0.1:6443' };

  test('off by default; a good pair parses', () => {
    const off = parse({});
    assert.equal(off.config.httpsListenAddr, null);
    assert.equal(off.config.tlsCertPath, '');
    const on = parse({ ...https, tlsCertPath: good!.certPath, tlsKeyPath: good!.keyPath });
    assert.deepEqual(on.config.httpsListenAddr, { host: '127.0.0.1', port: 6443 });
    assert.equal(on.config.tlsCertPath, good!.certPath);
    assert.deepEqual(on.warnings, []);
  });

  test('the HTTPS port must not be the HTTP port (both apps would bind it and split the connections)', () => {
    const e = configError({ httpListenAddr: ':6881', httpsListenAddr: '127.0.0.1:6881', tlsCertPath: good!.certPath, tlsKeyPath: good!.keyPath });
    assert.equal(e.key, 'httpsListenAddr');
    assert.equal(e.message, 'config: httpsListenAddr: "127.0.0.1:6881": port 6881 is httpListenAddr\'s too (plain HTTP and TLS need a port each)');
    assert.equal(parse({ httpListenAddr: ':6881', httpsListenAddr: ':6443', tlsCertPath: good!.certPath, tlsKeyPath: good!.keyPath }).warnings.length, 0);
  });

  test('a missing file: the key, the path and ENOENT', () => {
    const e = configError({ ...https, tlsCertPath: '/x.pem', tlsKeyPath: good!.keyPath });
    assert.equal(e.message, 'config: tlsCertPath: "/x.pem": no such file (ENOENT)');
    assert.equal(e.key, 'tlsCertPath');
    const k = configError({ ...https, tlsCertPath: good!.certPath, tlsKeyPath: join(dir, 'nope.pem') });
    assert.equal(k.message, `config: tlsKeyPath: ${JSON.stringify(join(dir, 'nope.pem'))}: no such file (ENOENT)`);
  });

  test('a path left empty while httpsListenAddr is set', () => {
    assert.equal(configError({ ...https, tlsKeyPath: good!.keyPath }).message, 'config: tlsCertPath: "": required when httpsListenAddr is set');
    assert.equal(configError({ ...https, tlsCertPath: good!.certPath }).message, 'config: tlsKeyPath: "": required when httpsListenAddr is set');
  });

  test('a directory, garbage, a key where the certificate goes, and the other way round', () => {
    assert.equal(configError({ ...https, tlsCertPath: dir, tlsKeyPath: good!.keyPath }).message,
      `config: tlsCertPath: ${JSON.stringify(dir)}: is a directory (EISDIR)`);
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    assert.match(configError({ ...https, tlsCertPath: garbage, tlsKeyPath: good!.keyPath }).message,
      /^config: tlsCertPath: ".*garbage\.pem": not a PEM certificate \(.+\)$/);
    assert.match(configError({ ...https, tlsCertPath: good!.keyPath, tlsKeyPath: good!.keyPath }).message,
      /^config: tlsCertPath: ".*good\.key\.pem": not a PEM certificate/);
    assert.match(configError({ ...https, tlsCertPath: good!.certPath, tlsKeyPath: good!.certPath }).message,
      /^config: tlsKeyPath: ".*good\.cert\.pem": not an unencrypted PEM private key/);
  });

  test('a key that does not belong to the certificate', () => {
    const e = configError({ ...https, tlsCertPath: good!.certPath, tlsKeyPath: other!.keyPath });
    assert.equal(e.key, 'tlsKeyPath');
    assert.equal(e.message, `config: tlsKeyPath: ${JSON.stringify(other!.keyPath)}: does not match the certificate in tlsCertPath ${JSON.stringify(good!.certPath)}`);
  });

  test('files without httpsListenAddr: a warning that TLS is off', () => {
    const r = parse({ tlsCertPath: '/x.pem', tlsKeyPath: '/y.pem' });
    assert.equal(r.config.httpsListenAddr, null);
    assert.deepEqual(r.warnings, ['config: tlsCertPath/tlsKeyPath are set but httpsListenAddr is empty: TLS is off']);
  });

  test('a bad httpsListenAddr names that key', () => {
    assert.match(configError({ httpsListenAddr: '127.0.0.1:99999' }).message, /^config: httpsListenAddr: "127\.0\.0\.1:99999": /);
  });
});
