/**
 * The cluster's certificates (`raftkv certs`, `raftkv up --secure`), made with @peculiar/x509 on
 * Node's WebCrypto rather than the openssl binary, so it works wherever Node does:
 *
 *   ca.crt / ca.key              the cluster CA: ECDSA P-256, ten years
 *   node-<id>.crt / .key         one per member: CN=node-<id> (the id a peer's hello must match),
 *                                every host of cluster.json (and the loopback names) as subject
 *                                alternative names; usable as TLS server and client (peers dial)
 *   client.crt / client.key      for tools and clients: CN=client, TLS client only
 *
 * Keys are PKCS#8 PEM, mode 0600, the folder 0700. Running it again adds what is missing and keeps
 * everything that exists (the CA above all: replacing it would cut every member off).
 */
import { webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
// @peculiar/x509 needs the Reflect metadata polyfill (its dependency tsyringe checks at load).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { CLIENT_COMMON_NAME, nodeCommonName } from '../protocol/cert-names.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;
const CA_DAYS = 3650;
const LEAF_DAYS = 825;
/** Names every certificate of a member carries besides cluster.json's hosts (tools on the same machine). */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];


export const certFiles = {
  caCert: (dir: string) => join(dir, 'ca.crt'),
  caKey: (dir: string) => join(dir, 'ca.key'),
  nodeCert: (dir: string, id: number) => join(dir, `node-${id}.crt`),
  nodeKey: (dir: string, id: number) => join(dir, `node-${id}.key`),
  clientCert: (dir: string) => join(dir, 'client.crt'),
  clientKey: (dir: string) => join(dir, 'client.key'),
};

export interface CertMember {
  id: number;
  host: string;
}

/** Makes whatever of the files above is missing in `dir`; returns the paths it wrote. */
export async function ensureCertificates(dir: string, members: readonly CertMember[]): Promise<string[]> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  const ca = await loadOrMakeCa(dir, written);
  const hosts = [...new Set([...members.map((m) => m.host), ...LOOPBACK_NAMES])];
  for (const m of members) {
    await ensureLeaf(ca, certFiles.nodeCert(dir, m.id), certFiles.nodeKey(dir, m.id), nodeCommonName(m.id), hosts, true, written);
  }
  await ensureLeaf(ca, certFiles.clientCert(dir), certFiles.clientKey(dir), CLIENT_COMMON_NAME, [], false, written);
  return written;
}

interface Ca {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

async function loadOrMakeCa(dir: string, written: string[]): Promise<Ca> {
  const certPath = certFiles.caCert(dir);
  const keyPath = certFiles.caKey(dir);
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = new x509.X509Certificate(readFileSync(certPath, 'utf8'));
    const der = x509.PemConverter.decodeFirst(readFileSync(keyPath, 'utf8'));
    const key = await webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
    return { cert, key: key as unknown as CryptoKey };
  }
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=raftkv cluster CA ${serial().slice(0, 8)}, O=raftkv`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + CA_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writeKey(keyPath, keys.privateKey);
  writeFileSync(certPath, cert.toString('pem') + '\n');
  written.push(certPath, keyPath);
  return { cert, key: keys.privateKey };
}

async function ensureLeaf(ca: Ca, certPath: string, keyPath: string, cn: string, hosts: readonly string[], server: boolean, written: string[]): Promise<void> {
  if (existsSync(certPath) && existsSync(keyPath)) return;
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const now = Date.now();
  const usages = [x509.ExtendedKeyUsage.clientAuth, ...(server ? [x509.ExtendedKeyUsage.serverAuth] : [])];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
  ];
  if (hosts.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(hosts.map((h) => ({ type: isIP(h) ? 'ip' : 'dns', value: h }) as const), false));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${cn}, O=raftkv`,
    issuer: ca.cert.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + LEAF_DAYS * DAY_MS),
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions,
  });
  await writeKey(keyPath, keys.privateKey);
  writeFileSync(certPath, cert.toString('pem') + '\n');
  written.push(certPath, keyPath);
}

async function writeKey(path: string, key: CryptoKey): Promise<void> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey);
  writeFileSync(path, x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n', { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its mode through writeFileSync
}

/** A positive 16-byte serial, hex (RFC 5280: positive, at most 20 bytes). */
function serial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0]! &= 0x7f;
  b[0]! |= 0x01;
  return Buffer.from(b).toString('hex');
}
