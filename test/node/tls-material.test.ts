/**
 * The TLS pieces of a node in-process, with certificates from `raftkv certs`: the client port's
 * `mutual` mode wants a client certificate, `on` does not; a dialled peer must hold the
 * certificate of the member meant; certifiedNodeId reads the member id off a peer's certificate.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import t from 'tap';
import { ensureCertificates } from '../../src/cluster/certificates.js';
import { certifiedNodeId, clientTlsServer, dialPeerTls, loadClientTls, loadNodeTls, peerTlsServer } from '../../src/node/tls-material.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkv-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function listen(server: tls.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

/** Resolves with what the server wrote, or the client's error code. */
function talk(socket: tls.TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
    socket.on('close', () => resolve(data));
  });
}

t.test('client port: on and mutual', async (t) => {
  await ensureCertificates(dir, [{ id: 1, host: '127.0.0.1' }, { id: 2, host: '127.0.0.1' }]);
  const node = loadNodeTls(dir, 1);
  const client = loadClientTls(dir);
  for (const mode of ['on', 'mutual'] as const) {
    const server = clientTlsServer(node, mode, (s) => s.end('hi\n'));
    server.on('tlsClientError', () => {});
    const port = await listen(server);
    t.teardown(() => server.close());
    const bare = await talk(tls.connect({ host: '127.0.0.1', port, ca: client.ca }));
    if (mode === 'on') t.equal(bare, 'hi\n', 'on: no client certificate needed');
    else t.match(bare, /^error .*CERTIFICATE_REQUIRED/, 'mutual: refused without a client certificate');
    t.equal(await talk(tls.connect({ host: '127.0.0.1', port, ...client })), 'hi\n', `${mode}: with the client certificate`);
  }
});

t.test('peers: the dialled node must be the member meant; the id comes from the certificate', async (t) => {
  const seen: (number | null)[] = [];
  const server = peerTlsServer(loadNodeTls(dir, 1), (s) => {
    seen.push(certifiedNodeId(s));
    s.end('ok\n');
  });
  server.on('tlsClientError', () => {});
  const port = await listen(server);
  t.teardown(() => server.close());
  t.equal(await talk(dialPeerTls(loadNodeTls(dir, 2), '127.0.0.1', port, 1)), 'ok\n', 'node 2 dials node 1');
  t.match(await talk(dialPeerTls(loadNodeTls(dir, 2), '127.0.0.1', port, 3)), /^error/, 'node 2 meant node 3 but reached node 1: refused');
  t.equal(await talk(tls.connect({ host: '127.0.0.1', port, ...loadClientTls(dir), minVersion: 'TLSv1.3', checkServerIdentity: () => undefined })), 'ok\n');
  t.same(seen, [2, null], 'a member certificate names its id; the client certificate none');
});
