/**
 * Nodes on distinct hosts: three nodes on 127.0.0.1, 127.0.0.2 and 127.0.0.3, each bound to its
 * own address only (as on three machines), elect a leader, replicate, and answer `raftkv` and
 * `redis-cli -h` pointed at each address; a node is not reachable at another node's address. Then
 * a node that listens on 0.0.0.0 (`listenHost`) while the others reach it at its `host`.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { requireTools } from '../lib/require-tool.js';
import { CLI, jsonRequest, startCluster, waitFor, type TestNode } from './harness.js';

/** Runs `raftkv ...args`; resolves with its exit code and output. */
function raftkv(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr });
    });
  });
}

/** Runs redis-cli with `args`; resolves with its stdout (killed after 20 s so a hang fails). */
function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(3000, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

const addr = (n: TestNode) => `${n.host}:${n.port}`;

t.test('three nodes on 127.0.0.1, .2, .3, each bound to its own address', async (t) => {
  const c = await startCluster(t, { nodes: 3, addressOf: (id) => ({ host: `127.0.0.${id}` }) });
  const logDir = join(c.dir, 'client-logs');
  const leader = await c.waitForLeader([1, 2, 3], 30_000);
  t.ok(leader, `node ${leader} leads`);

  for (const n of c.nodes) {
    const others = c.nodes.filter((o) => o.id !== n.id);
    // Each listener is on its own address only: node n's ports refuse on the others' addresses.
    for (const o of others) {
      t.notOk(await accepts(o.host, n.port), `node ${n.id}'s client port is not open on ${o.host}`);
      t.notOk(await accepts(o.host, n.peerPort), `node ${n.id}'s peer port is not open on ${o.host}`);
    }
    const set = await raftkv(['set', `k${n.id}`, `v${n.id}`, '--nodes', addr(n), '--log-dir', logDir]);
    t.same(set, { code: 0, out: 'OK\n', err: '' }, `raftkv set through ${addr(n)}`);
  }
  for (const n of c.nodes) {
    const got = await raftkv(['get', 'k3', '--nodes', addr(n), '--log-dir', logDir]);
    t.same(got, { code: 0, out: 'v3\n', err: '' }, `raftkv get through ${addr(n)}`);
  }
  const viaFile = await raftkv(['get', 'k1', '--config', c.configPath, '--log-dir', logDir]);
  t.same(viaFile, { code: 0, out: 'v1\n', err: '' }, 'raftkv with the cluster file finds the nodes at their hosts');

  t.test('redis-cli -h at each address', { skip: requireTools('redis-cli') }, async (t) => {
    for (const n of c.nodes) {
      t.equal(await redisCli(['-h', n.host, '-p', String(n.port), 'SET', `r${n.id}`, `from ${n.host}`]), 'OK\n', `SET via ${addr(n)}`);
    }
    for (const n of c.nodes) {
      t.equal(await redisCli(['-h', n.host, '-p', String(n.port), 'GET', 'r2']), 'from 127.0.0.2\n', `GET via ${addr(n)}`);
      const info = await redisCli(['-h', n.host, '-p', String(n.port), 'INFO', 'replication']);
      t.match(info, n.id === leader ? /role:master/ : new RegExp(`master_host:127\\.0\\.0\\.${leader}\\r?\\n`), `INFO replication at ${addr(n)} names the leader's own address`);
    }
  });
});

t.test('listenHost 0.0.0.0: reached at host, listening everywhere', async (t) => {
  const c = await startCluster(t, { nodes: 1, addressOf: () => ({ host: '127.0.0.4', listenHost: '0.0.0.0' }) });
  const [n] = c.nodes;
  await c.waitForLeader([1], 30_000);
  for (const host of ['127.0.0.4', '127.0.0.1']) {
    const st = await waitFor(`status at ${host}`, () => jsonRequest(n!.port, { op: 'status' }, 2000, { host }));
    t.equal(st.value.id, 1, `the node answers at ${host}`);
  }
  const log = await waitFor('the start line', () => {
    const text = readFileSync(join(c.dir, 'logs', 'node-1.log'), 'utf8');
    return /starting: .*\(listening on 0\.0\.0\.0\)/.test(text) ? text : '';
  });
  t.match(log, /starting: client 127\.0\.0\.4:\d+, peers 127\.0\.0\.4:\d+ \(listening on 0\.0\.0\.0\)/, 'the log says where it is reached and where it listens');
});
