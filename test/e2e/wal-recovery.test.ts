/**
 * Crash recovery with real files: a torn tail left by a crash is cut off and the node rejoins;
 * corruption in the middle of the log stops the node with a clear message instead of serving
 * from a damaged log.
 */
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { jsonRequest, startCluster, waitFor } from './harness.js';

function walFile(dir: string, id: number): string {
  const d = join(dir, 'data', `node-${id}`);
  const f = readdirSync(d).filter((n) => n.startsWith('wal-')).sort().pop();
  if (!f) throw new Error(`no WAL segment in ${d}`);
  return join(d, f);
}

t.test('a torn WAL tail is truncated on restart and the node catches up', async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  const leader = await c.waitForLeader();
  const port = c.node(leader).port;
  for (let i = 0; i < 20; i++) t.equal((await jsonRequest(port, { op: 'set', key: `k${i}`, value: `v${i}` })).ok, true);
  const victim = c.nodes.find((n) => n.id !== leader)!.id;
  await c.kill(victim, 'SIGKILL');
  // What a crash in the middle of a write leaves: a record header and half a payload.
  appendFileSync(walFile(c.dir, victim), Buffer.from([0x40, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78, 0x7b, 0x22]));
  c.start(victim);
  await waitFor('the node to serve its recovered data', async () => {
    const r = await jsonRequest(c.node(victim).port, { op: 'get', key: 'k19', consistency: 'stale' }, 1000);
    return r.ok && r.value === 'v19';
  });
  const log = readFileSync(join(c.dir, 'logs', `node-${victim}.log`), 'utf8');
  t.match(log, /truncated torn tail/, 'the node log says what recovery did');
  t.equal((await jsonRequest(c.node(victim).port, { op: 'set', key: 'after', value: 'x' })).ok, true, 'writes work through it');
});

t.test('corruption in the middle of the WAL stops the node with a clear message', async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  const leader = await c.waitForLeader();
  const port = c.node(leader).port;
  for (let i = 0; i < 20; i++) await jsonRequest(port, { op: 'set', key: `k${i}`, value: `v${i}` });
  const victim = c.nodes.find((n) => n.id !== leader)!.id;
  await waitFor('the follower to have the writes', async () => (await jsonRequest(c.node(victim).port, { op: 'get', key: 'k19', consistency: 'stale' })).value === 'v19');
  await c.kill(victim, 'SIGKILL');
  const file = walFile(c.dir, victim);
  const bytes = readFileSync(file);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  writeFileSync(file, bytes);
  c.start(victim);
  const code = await c.exits.get(victim);
  t.not(code, 0, 'the node refuses to start');
  const log = readFileSync(join(c.dir, 'logs', `node-${victim}.log`), 'utf8');
  t.match(log, /corrupt/i, 'and says why in its log');
  t.equal((await jsonRequest(port, { op: 'get', key: 'k5' })).value, 'v5', 'the rest of the cluster carries on');
});
