/**
 * What a client needs to talk to a secure cluster, read from the cluster file's `security` block
 * so that no tool needs extra flags: the cluster CA to trust (and the client certificate, which a
 * `mutual` client port requires) when the client port speaks TLS, and the password to AUTH with.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import net from 'node:net';
import type { SecurityConfig } from '../protocol/cluster-config.js';
import { RaftKvError } from '../protocol/errors.js';

export interface ClientSecurity {
  /** TLS on the client port: the CA, and the client certificate and key when present. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** Sent in an AUTH request first on every connection. */
  password?: string;
}

/** The client side of a cluster file's `security` block (undefined: clear text, no password). */
export function clientSecurityFrom(security: SecurityConfig | undefined): ClientSecurity | undefined {
  if (!security) return undefined;
  const out: ClientSecurity = {};
  if (security.clientTls !== 'off' && security.certDir) {
    const dir = security.certDir;
    const ca = readOrExplain(join(dir, 'ca.crt'));
    const hasClientCert = existsSync(join(dir, 'client.crt')) && existsSync(join(dir, 'client.key'));
    out.tls = hasClientCert ? { ca, cert: readOrExplain(join(dir, 'client.crt')), key: readOrExplain(join(dir, 'client.key')) } : { ca };
  }
  if (security.passwordFile) out.password = readOrExplain(security.passwordFile).toString('utf8').replace(/\r?\n$/, '');
  return out;
}

/** Opens a connection to a client port: TLS (event 'secureConnect') or plain TCP ('connect'). */
export function connectClientPort(host: string, port: number, security: ClientSecurity | undefined): { socket: net.Socket; readyEvent: 'connect' | 'secureConnect' } {
  if (security?.tls) {
    const servername = /^[\d.]+$/.test(host) || host.includes(':') ? undefined : host;
    return { socket: tls.connect({ host, port, ...security.tls, ...(servername ? { servername } : {}) }), readyEvent: 'secureConnect' };
  }
  return { socket: net.connect({ host, port }), readyEvent: 'connect' };
}

function readOrExplain(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new RaftKvError('BAD_CONFIG', `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
