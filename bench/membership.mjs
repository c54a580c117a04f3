// Membership timings on a fresh 3-node cluster on this machine (default timing, 150-300 ms
// elections), through the client library:
//   1. K keys written, then `raftkv node --join` for node 4: ms from its spawn until every node's
//      status shows it a voter (the node-side part of issue 10's `ctl add` target, <= 2 s);
//   2. R leadership transfers, each to a follower: ms from the transferLeader call until the new
//      leader acknowledged a write sent straight to it (target <= 300 ms).
// usage: node bench/membership.mjs [K=10000] [R=5]      (after npm run build)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const { RaftKvClient } = await import(join(root, 'dist/src/client/raftkv-client.js'));
const { findFreePorts } = await import(join(root, 'dist/src/cluster/free-ports.js'));
const K = Number(process.argv[2] ?? 10000);
const R = Number(process.argv[3] ?? 5);
const cli = join(root, 'dist/src/cli/raftkv.js');
const dir = mkdtempSync(join(tmpdir(), 'raftkv-memberbench-'));
const ports = await findFreePorts(8);
const nodes = [1, 2, 3, 4].map((id, i) => ({ id, host: '127.0.0.1', port: ports[2 * i], peerPort: ports[2 * i + 1] }));
const config = join(dir, 'cluster.json');
writeFileSync(config, JSON.stringify({ nodes: nodes.slice(0, 3), electionTimeoutMs: { min: 150, max: 300 }, heartbeatIntervalMs: 50, dataDir: 'data', logDir: 'logs' }));
const procs = [];
const run = (args) => procs.push(spawn(process.execPath, [cli, 'node', ...args], { stdio: 'ignore' }));
const clientOf = (ns) => new RaftKvClient({ nodes: ns, timeoutMs: 15000 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
try {
  for (const n of nodes.slice(0, 3)) run(['--id', String(n.id), '--config', config]);
  const c = clientOf(nodes.slice(0, 3));
  await c.set('warm', 'up');
  for (let i = 0; i < K; i += 200) await Promise.all(Array.from({ length: Math.min(200, K - i) }, (_, j) => c.set(`key:${i + j}`, 'x'.repeat(100))));
  const four = nodes[3];
  const t0 = performance.now();
  run(['--id', '4', '--join', `127.0.0.1:${nodes[0].port}`, '--host', four.host, '--port', String(four.port), '--peer-port', String(four.peerPort), '--config', config]);
  const each = clientOf(nodes);
  for (;;) {
    const sts = await Promise.all(nodes.map((n) => each.status(n.id, { timeoutMs: 500 }).catch(() => null)));
    if (sts.every((s) => s && s.voters.includes(4))) break;
    await sleep(10);
  }
  each.close();
  console.log(`join with ${K} keys: node 4 a voter on every node ${(performance.now() - t0).toFixed(0)} ms after its spawn`);
  const all = clientOf(nodes);
  for (let r = 0; r < R; r++) {
    const leader = (await all.status()).leader;
    const followers = nodes.filter((n) => n.id !== leader);
    const target = followers[r % followers.length].id;
    const s = performance.now();
    await all.transferLeader(target);
    const direct = clientOf([nodes[target - 1]]);
    await direct.set(`after-transfer-${r}`, 'x');
    console.log(`transfer ${leader} -> ${target}: ${(performance.now() - s).toFixed(0)} ms to the new leader's first acknowledged write`);
    direct.close();
    await sleep(500);
  }
  all.close();
  c.close();
} finally {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
