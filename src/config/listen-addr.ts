// Listen addresses as config.json writes them ("host:port", ":port", "[v6]:port", "" = disabled), parsed
// once at load time into what the listeners use.
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError } from './config-error.js';

/** Where a listener binds. `host` "" means every interface; port 0 asks the OS for a free port. */
export interface ListenAddr {
  host: string;
  port: number;
}

export const ADDR_HINT = 'expected "host:port", ":port", "[v6addr]:port" or "" (disabled)';
const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*)$/;

function fail(key: string, value: string, expected: string): never {
  throw new ConfigError(`config: ${key}: ${JSON.stringify(value)}: ${expected}`, key);
}

/**
 * Splits a listen address. "" → null (listener disabled); host "" means all interfaces; an IPv6 host is
 * returned without brackets. Port 0 asks the OS for a free port. A hostname such as "localhost" is
 * returned as written: resolving it is the listener's job. Throws ConfigError naming `key`.
 */
export function parseListenAddr(key: string, value: string): ListenAddr | null {
  if (value === '') return null;
  let host: string;
  let portText: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0 || value[close + 1] !== ':') fail(key, value, ADDR_HINT);
    host = value.slice(1, close);
    portText = value.slice(close + 2);
    const zone = host.indexOf('%'); // link-local scope, e.g. fe80::1%eth0
    if (!isIPv6(zone < 0 ? host : host.slice(0, zone))) fail(key, value, 'not an IPv6 address in brackets');
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) fail(key, value, ADDR_HINT);
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (host.includes(':')) fail(key, value, 'an IPv6 address needs brackets, e.g. "[::1]:6881"');
    if (host !== '' && !isIPv4(host) && !HOST_NAME.test(host)) fail(key, value, 'not a valid host name');
  }
  if (!/^[0-9]{1,5}$/.test(portText)) fail(key, value, 'port must be a number 0..65535');
  const port = Number(portText);
  if (port > 65535) fail(key, value, 'port must be 0..65535');
  return { host, port };
}


