/**
 * startCluster + the control socket (net-ipc) + connectControl, with stand-in node processes:
 * what `raftkv up` and `raftkv ctl` do, in-process. Also: a second supervisor on the same data
 * directory is refused, a stale socket is replaced, garbage requests are answered, and shutdown
 * removes the socket.
 */
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'net-ipc';
import { generateClusterConfig } from '../../src/cluster/cluster-setup.js';
import { connectControl } from '../../src/cluster/control-client.js';
import { controlSocketPath } from '../../src/cluster/control-protocol.js';
import { startCluster, type RunningCluster } from '../../src/cluster/start-cluster.js';
import { loadClusterConfig } from '../../src/protocol/cluster-config.js';
import { waitFor } from '../lib/wait-for.js';

const FAKE = fileURLToPath(new URL('./fake-node-process.js', import.meta.url));

interface Test {
  teardown(fn: () => unknown): void;
}


function tempDir(tt: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-ctl-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function cluster(tt: Test, dir: string, nodes = 3): Promise<RunningCluster> {
  const cfg = await generateClusterConfig({ nodes, dataDir: join(dir, 'data'), logDir: join(dir, 'logs') });
  const c = await startCluster(cfg, {
    nodeCommand: (id, path) => ({ command: process.execPath, args: [FAKE, String(id), path] }),
    statusTimeoutMs: 300,
  });
  tt.teardown(async () => {
    for (const n of c.supervisor.list()) if (n.pid !== null) process.kill(n.pid, 'SIGKILL');
    await c.stop();
  });
  return c;
}

t.test('ctl: status, kill, kill leader, restart, stop, shutdown over the socket', async (tt) => {
  const dir = tempDir(tt);
  const c = await cluster(tt, dir);
  tt.equal(c.control.socketPath, join(dir, 'data', 'supervisor.sock'));
  tt.same(loadClusterConfig(c.configPath).nodes, c.supervisor.config.nodes, 'the run config is in the data dir');
  const ctl = await connectControl(c.control.socketPath);
  tt.teardown(() => ctl.close());

  await waitFor('every node to answer', async () => (await ctl.status()).every((r) => r.role !== null));
  const rows = await ctl.status();
  tt.same(rows.map((r) => [r.id, r.state, r.role]), [[1, 'up', 'leader'], [2, 'up', 'follower'], [3, 'up', 'follower']]);
  tt.ok(rows.every((r) => typeof r.pid === 'number' && r.port > 0 && r.peerPort > 0 && r.host === '127.0.0.1'));

  tt.match(await ctl.kill(3), { id: 3, state: 'down', exitSignal: 'SIGKILL' });
  tt.match(await ctl.kill('leader'), { id: 1, state: 'down' });
  await tt.rejects(ctl.kill(3), { code: 'BAD_REQUEST', message: /not running/ });
  await tt.rejects(ctl.restart(9), { code: 'BAD_REQUEST', message: /no node with id 9/ });
  tt.match(await ctl.restart(3), { id: 3, state: 'up' });
  await waitFor('node 3 to answer', async () => (await ctl.status())[2].role !== null);
  tt.match(await ctl.stop(3), { id: 3, state: 'stopped' });

  await ctl.shutdown();
  await c.stopped;
  tt.notOk(existsSync(c.control.socketPath), 'the socket is removed');
  tt.ok(c.supervisor.list().every((n) => n.state !== 'up'), 'every node stopped');
  await tt.rejects(connectControl(c.control.socketPath), { code: 'UNAVAILABLE', message: /no supervisor answering/ });
});

t.test('garbage control requests get BAD_REQUEST / UNKNOWN_OP; the supervisor carries on', async (tt) => {
  const dir = tempDir(tt);
  const c = await cluster(tt, dir, 1);
  const raw = new Client({ path: c.control.socketPath, reconnect: false });
  await raw.connect();
  tt.teardown(() => raw.destroy());
  tt.match(await raw.request('status', 2000), { ok: false, error: { code: 'BAD_REQUEST' } });
  tt.match(await raw.request(null, 2000), { ok: false, error: { code: 'BAD_REQUEST' } });
  tt.match(await raw.request({ op: 'explode' }, 2000), { ok: false, error: { code: 'UNKNOWN_OP', message: /explode/ } });
  tt.match(await raw.request({ op: 'kill', target: 'everyone' }, 2000), { ok: false, error: { code: 'BAD_REQUEST', message: /leader/ } });
  tt.match(await raw.request({ op: 'restart', id: -1 }, 2000), { ok: false, error: { code: 'BAD_REQUEST' } });
  tt.match(await raw.request({ op: 'stop', id: '1' }, 2000), { ok: false, error: { code: 'BAD_REQUEST' } });
  tt.match(await raw.request({ op: 'remove', id: 0 }, 2000), { ok: false, error: { code: 'BAD_REQUEST', message: /remove: id/ } });
  tt.match(await raw.request({ op: 'transfer' }, 2000), { ok: false, error: { code: 'BAD_REQUEST', message: /transfer: id/ } });
  tt.match(await raw.request({ op: 'add', learner: 'yes' }, 2000), { ok: false, error: { code: 'BAD_REQUEST', message: /learner must be a boolean/ } });
  tt.match(await raw.request({ op: 'add', host: 'two words' }, 2000), { ok: false, error: { code: 'BAD_REQUEST', message: /add: host must be a host name/ } });
  // 192.0.2.1 (TEST-NET-1) is no address of this machine: refused before any process starts.
  tt.match(await raw.request({ op: 'add', host: '192.0.2.1' }, 20_000), { ok: false, error: { code: 'BAD_REQUEST', message: /cannot listen on host 192\.0\.2\.1 .*one of its addresses/ } });
  tt.same(c.supervisor.list().map((n) => n.id), [1], 'nothing added');
  tt.match(await raw.request({ op: 'status' }, 2000), { ok: true }, 'still serving');
});

t.test('a second supervisor on the same data dir is refused; a stale socket is replaced', async (tt) => {
  const dir = tempDir(tt);
  const c = await cluster(tt, dir, 1);
  const cfg2 = await generateClusterConfig({ nodes: 1, dataDir: join(dir, 'data'), logDir: join(dir, 'logs2') });
  await tt.rejects(startCluster(cfg2, { nodeCommand: () => ({ command: process.execPath, args: [FAKE] }) }), {
    code: 'BAD_CONFIG',
    message: /a supervisor is already running on/,
  });
  tt.match(loadClusterConfig(c.configPath).nodes, c.supervisor.config.nodes, "the running cluster's file is untouched");
  await c.stop();

  const stale = join(dir, 'stale');
  mkdirSync(stale);
  writeFileSync(join(stale, 'supervisor.sock'), 'left over');
  const c2 = await cluster(tt, stale, 1);
  const ctl = await connectControl(c2.control.socketPath);
  tt.teardown(() => ctl.close());
  tt.equal((await ctl.status()).length, 1, 'serving on the replaced socket');
});

t.test('busy ports and long socket paths are refused before anything starts', async (tt) => {
  const dir = tempDir(tt);
  const c = await cluster(tt, dir, 1);
  const cfg = { ...c.supervisor.config, dataDir: join(dir, 'other'), logDir: join(dir, 'other-logs') };
  await waitFor('node 1 to listen', async () => (await c.supervisor.status())[0].role !== null);
  await tt.rejects(startCluster(cfg), { code: 'UNAVAILABLE', message: /ports already in use .*node 1 port 127\.0\.0\.1:\d+/ });
  tt.notOk(existsSync(join(dir, 'other', 'supervisor.sock')), 'its socket was removed again');
  tt.throws(() => controlSocketPath(join(dir, 'x'.repeat(120))), { code: 'BAD_CONFIG', message: /over the 103-byte limit/ });
});
