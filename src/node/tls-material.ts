/**
 * The TLS side of a node's two ports (cluster.json `security`), kept out of the transports so they
 * stay about messages:
 * - peers: mutual TLS 1.3 only. Both sides show a certificate of the cluster CA; the dialler also
 *   checks that the node it reached holds the certificate of the member it meant (CN=node-<id>),
 *   and the accepting side checks the hello against the certificate (certifiedNodeId);
 * - clients: the node's certificate, TLS 1.2 or 1.3 (redis-cli and redis-benchmark speak either);
 *   with `mutual`, a client certificate of the cluster CA is required as well.
 */
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import { nodeCommonName, nodeIdOfCommonName } from '../protocol/cert-names.js';
import { RaftKvError } from '../protocol/errors.js';
import type { ClientTlsMode } from '../protocol/cluster-config.js';

export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** Reads `ca.crt` and the member's certificate and key from `certDir`; a missing file is BAD_CONFIG naming it and `raftkv certs`. */
export function loadNodeTls(certDir: string, id: number): TlsMaterial {
  return loadTls(certDir, `node-${id}`);
}

/** `ca.crt` and `client.crt|key`: what tools present to a secure cluster. */
export function loadClientTls(certDir: string): TlsMaterial {
  return loadTls(certDir, 'client');
}

function loadTls(certDir: string, name: string): TlsMaterial {
  const read = (file: string) => {
    try {
      return readFileSync(`${certDir}/${file}`);
    } catch (err) {
      throw new RaftKvError('BAD_CONFIG', `${certDir}/${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); make the certificates with: raftkv certs`);
    }
  };
  return { ca: read('ca.crt'), cert: read(`${name}.crt`), key: read(`${name}.key`) };
}

const PEER_TLS = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' } as const;

/** The peer port's server: only clients with a certificate of the cluster CA complete the handshake. */
export function peerTlsServer(m: TlsMaterial, onSecure: (s: tls.TLSSocket) => void): tls.Server {
  return tls.createServer({ ...m, ...PEER_TLS, requestCert: true, rejectUnauthorized: true }, onSecure);
}

/** Dials a peer: its certificate must be of the cluster CA and name member `peerId`. */
export function dialPeerTls(m: TlsMaterial, host: string, port: number, peerId: number): tls.TLSSocket {
  const expected = nodeCommonName(peerId);
  return tls.connect({
    ...m,
    ...PEER_TLS,
    host,
    port,
    ...(isIpLiteral(host) ? {} : { servername: host }),
    checkServerIdentity: (name, cert) => {
      const cn = cert.subject?.CN;
      if (cn !== expected) return new Error(`the peer at ${host}:${port} holds the certificate of ${cn ?? 'nobody'}, not ${expected}`);
      return tls.checkServerIdentity(name, cert);
    },
  });
}

/**
 * The member id the certificate of an accepted peer connection names, or null (no TLS, or a
 * certificate of the CA that is not a member's, such as the client certificate).
 */
export function certifiedNodeId(socket: net.Socket): number | null {
  if (!(socket instanceof tls.TLSSocket)) return null;
  return nodeIdOfCommonName(socket.getPeerCertificate()?.subject?.CN);
}

/** The client port's server for `mode` on or mutual. */
export function clientTlsServer(m: TlsMaterial, mode: Exclude<ClientTlsMode, 'off'>, onSecure: (s: tls.TLSSocket) => void): tls.Server {
  const mutual = mode === 'mutual';
  return tls.createServer({ ...m, minVersion: 'TLSv1.2', requestCert: mutual, rejectUnauthorized: mutual, allowHalfOpen: true }, onSecure);
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
