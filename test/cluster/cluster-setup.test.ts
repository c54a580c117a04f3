/** Generated cluster configs (`raftkv up --nodes N [--base-port P]`), free ports, the run file. */
import t from 'tap';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPortsFree, generateClusterConfig, writeRunConfig } from '../../src/cluster/cluster-setup.js';
import { findFreePorts, isPortFree } from '../../src/cluster/free-ports.js';
import { loadClusterConfig } from '../../src/protocol/cluster-config.js';

t.test('--base-port P: node i gets P+i-1 and P+100+i-1', async (tt) => {
  const cfg = await generateClusterConfig({ nodes: 3, basePort: 9001, dataDir: '/tmp/d', logDir: '/tmp/l' });
  tt.same(cfg.nodes, [
    { id: 1, host: '127.0.0.1', port: 9001, peerPort: 9101 },
    { id: 2, host: '127.0.0.1', port: 9002, peerPort: 9102 },
    { id: 3, host: '127.0.0.1', port: 9003, peerPort: 9103 },
  ]);
  tt.same(cfg.electionTimeoutMs, { min: 150, max: 300 });
  tt.equal(cfg.heartbeatIntervalMs, 50);
  tt.equal(cfg.dataDir, '/tmp/d');
});

t.test('free ports from the OS are distinct and free', async (tt) => {
  const cfg = await generateClusterConfig({ nodes: 5, dataDir: 'd', logDir: 'l' });
  const ports = cfg.nodes.flatMap((n) => [n.port, n.peerPort]);
  tt.equal(new Set(ports).size, 10);
  tt.ok(cfg.dataDir.startsWith('/'), 'directories made absolute');
  for (const p of ports.slice(0, 2)) tt.ok(await isPortFree(p), `port ${p} is free`);
});

t.test('bad sizes are refused', async (tt) => {
  await tt.rejects(generateClusterConfig({ nodes: 0, dataDir: 'd', logDir: 'l' }), { code: 'BAD_CONFIG', message: /nodes: must be an integer 1\.\.99/ });
  await tt.rejects(generateClusterConfig({ nodes: 100, dataDir: 'd', logDir: 'l' }), { code: 'BAD_CONFIG' });
  await tt.rejects(generateClusterConfig({ nodes: 3, basePort: 65500, dataDir: 'd', logDir: 'l' }), {
    code: 'BAD_CONFIG',
    message: /base port: 65500 leaves no room for 3 nodes/,
  });
});

t.test('checkPortsFree names every busy port', async (tt) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  tt.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const busy = (server.address() as { port: number }).port;
  const [free] = await findFreePorts(1);
  const cfg = await generateClusterConfig({ nodes: 1, dataDir: 'd', logDir: 'l' });
  await tt.resolves(checkPortsFree(cfg), 'free ports pass');
  const clash = { ...cfg, nodes: [{ id: 1, host: '127.0.0.1', port: free, peerPort: busy }] };
  await tt.rejects(checkPortsFree(clash), { code: 'UNAVAILABLE', message: new RegExp(`node 1 peerPort 127\\.0\\.0\\.1:${busy}`) });
  tt.notOk(await isPortFree(busy));
});

t.test('writeRunConfig writes <dataDir>/cluster.json and creates the folders', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-setup-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = await generateClusterConfig({ nodes: 2, basePort: 20000, dataDir: join(dir, 'a', 'data'), logDir: join(dir, 'b', 'logs') });
  const path = writeRunConfig(cfg);
  tt.equal(path, join(dir, 'a', 'data', 'cluster.json'));
  tt.same(loadClusterConfig(path), cfg);
});
