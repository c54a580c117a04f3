/**
 * `raftkv up --secure`: turns a cluster configuration into a secure one, making what is missing
 * under its data directory (DESIGN.md "Command line"): `<dataDir>/certs/` (the CA, a certificate
 * per member, one for clients) and `<dataDir>/password` (random, 0600). A `security` block the
 * cluster file already has keeps its paths; client TLS is turned on if it was off.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_AUTH_TIMEOUT_MS, type ClusterConfig } from '../protocol/cluster-config.js';

export async function secureCluster(cfg: ClusterConfig): Promise<{ config: ClusterConfig; written: string[] }> {
  const certDir = cfg.security?.certDir ?? join(cfg.dataDir, 'certs');
  const passwordFile = cfg.security?.passwordFile ?? join(cfg.dataDir, 'password');
  // The X.509 library is loaded only when certificates are made (start-up cost for other commands).
  const { ensureCertificates } = await import('./certificates.js');
  const written = await ensureCertificates(certDir, cfg.nodes);
  if (!existsSync(passwordFile)) {
    mkdirSync(cfg.dataDir, { recursive: true });
    // 24 random bytes: 192 bits, as base64url so it can be typed after redis-cli -a.
    writeFileSync(passwordFile, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    written.push(passwordFile);
  }
  const clientTls = cfg.security?.clientTls && cfg.security.clientTls !== 'off' ? cfg.security.clientTls : 'on';
  return {
    config: { ...cfg, security: { certDir, clientTls, passwordFile, authTimeoutMs: cfg.security?.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS } },
    written,
  };
}
