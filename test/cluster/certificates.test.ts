/**
 * The certificates `raftkv certs` makes: what they say, that they chain to the CA, that a TLS 1.3
 * handshake with them works both ways, their file modes, and that running again keeps the CA.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import t from 'tap';
import { certFiles, ensureCertificates } from '../../src/cluster/certificates.js';

t.test('CA, member and client certificates', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'raftkv-certs-')), 'certs');
  t.teardown(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
  const members = [
    { id: 1, host: '127.0.0.1' },
    { id: 2, host: 'db2.example.org' },
  ];
  const written = await ensureCertificates(dir, members);
  t.equal(written.length, 8, 'CA, two members and a client, each a certificate and a key');
  t.equal(statSync(dir).mode & 0o777, 0o700, 'the folder is 0700');
  for (const key of [certFiles.caKey(dir), certFiles.nodeKey(dir, 1), certFiles.clientKey(dir)]) t.equal(statSync(key).mode & 0o777, 0o600, `${key} is 0600`);

  const read = (p: string) => new X509Certificate(readFileSync(p));
  const ca = read(certFiles.caCert(dir));
  t.ok(ca.ca, 'the CA is a CA');
  t.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1', 'ECDSA P-256');
  const node2 = read(certFiles.nodeCert(dir, 2));
  t.match(node2.subject, /CN=node-2/);
  t.ok(node2.verify(ca.publicKey), 'signed by the CA');
  t.match(node2.subjectAltName, /DNS:db2\.example\.org/, "every cluster host is a subject alternative name");
  t.match(node2.subjectAltName, /IP Address:127\.0\.0\.1/);
  const client = read(certFiles.clientCert(dir));
  t.match(client.subject, /CN=client/);
  t.notOk(client.subjectAltName, 'a client certificate names no host');

  await t.test('a TLS 1.3 handshake with mutual authentication works', async (t) => {
    const server = tls.createServer({
      key: readFileSync(certFiles.nodeKey(dir, 1)),
      cert: readFileSync(certFiles.nodeCert(dir, 1)),
      ca: readFileSync(certFiles.caCert(dir)),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    }, (s) => s.end((s.getPeerCertificate().subject?.CN ?? '?') + '\n'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.teardown(() => server.close());
    const port = (server.address() as { port: number }).port;
    const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(certFiles.caCert(dir)), key: readFileSync(certFiles.clientKey(dir)), cert: readFileSync(certFiles.clientCert(dir)) });
    let text = '';
    socket.on('data', (d) => (text += d));
    await once(socket, 'end');
    t.equal(socket.getProtocol(), 'TLSv1.3');
    t.equal(text, 'client\n', 'the server saw the client certificate');
    socket.destroy();
  });

  const caPem = readFileSync(certFiles.caCert(dir), 'utf8');
  t.same(await ensureCertificates(dir, members), [], 'a second run writes nothing');
  unlinkSync(certFiles.nodeCert(dir, 2));
  const again = await ensureCertificates(dir, [...members, { id: 3, host: '127.0.0.1' }]);
  t.same(again.map((p) => p.slice(dir.length + 1)).sort(), ['node-2.crt', 'node-2.key', 'node-3.crt', 'node-3.key'], 'only what is missing is made');
  t.equal(readFileSync(certFiles.caCert(dir), 'utf8'), caPem, 'the CA is kept');
  t.ok(read(certFiles.nodeCert(dir, 3)).verify(ca.publicKey), 'new members are signed by the same CA');
});
