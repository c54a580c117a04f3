/**
 * Strangers on the peer port of a running cluster: a line that never ends before any hello, and a
 * steady stream of connections that never say hello. The node refuses them without holding their
 * bytes, a member that reconnects still gets in, and the cluster keeps committing writes.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { jsonRequest, readValue, rssBytes, startCluster, waitFor } from './harness.js';

/**
 * Writes `bytes` without a newline on a fresh connection. Resolves true when the server closes it,
 * false if it is still open after `timeoutMs` (then we close it).
 */
function sendEndlessLine(port: number, bytes: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(Buffer.alloc(bytes, 'x')));
    const timer = setTimeout(() => {
      resolve(false);
      socket.destroy();
    }, timeoutMs);
    socket.on('error', () => {}); // the server resets us while we still write; 'close' follows
    socket.on('data', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

t.test('strangers on the peer port', async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  const leader = await c.waitForLeader();
  const { peerPort } = c.node(leader);
  const leaderLog = () => readFileSync(join(c.dir, 'logs', `node-${leader}.log`), 'utf8');
  t.equal((await jsonRequest(c.node(leader).port, { op: 'set', key: 'before', value: '1' })).ok, true);

  // 1. A 48 MiB line with no newline and no hello: before this change the node buffered up to
  //    64 MiB of it (and rescanned it on every chunk); now it stops after 1 KiB.
  const pid = c.procs.get(leader)!.pid!;
  const rssBefore = rssBytes(pid);
  const started = Date.now();
  const closed = await sendEndlessLine(peerPort, 48 * 1024 * 1024, 5000);
  const grownBytes = rssBytes(pid) - rssBefore;
  t.comment(`${closed ? 'closed' : 'still open'} after ${Date.now() - started} ms; leader RSS grew by ${(grownBytes / 1024 / 1024).toFixed(1)} MiB`);
  t.ok(closed, 'refused quickly');
  t.ok(grownBytes < 16 * 1024 * 1024, 'the leader did not buffer the line');
  await waitFor('the refusal in the leader log', () => leaderLog().includes('more than 1024 bytes before the hello'));
  t.equal((await jsonRequest(c.node(leader).port, { op: 'set', key: 'after-line', value: '1' })).ok, true, 'the leader serves on');

  // 2. A new silent connection every 50 ms keeps the leader's waiting room full for the rest of
  //    the test; each one past the limit closes the oldest.
  const strangers: net.Socket[] = [];
  const pressure = setInterval(() => {
    const s = net.connect({ host: '127.0.0.1', port: peerPort });
    s.on('error', () => {});
    strangers.push(s);
  }, 50);
  t.teardown(() => {
    clearInterval(pressure);
    for (const s of strangers) s.destroy();
  });
  await waitFor('the leader to close the oldest waiting stranger', () => leaderLog().includes('waiting for a hello; closing the oldest'));

  // 3. Kill both followers and bring one back. With two live nodes nothing commits unless each
  //    hears the other, so whichever of them leads, the restarted node's connection must get
  //    into the leader's crowded peer port.
  const [f1, f2] = c.nodes.filter((n) => n.id !== leader).map((n) => n.id) as [number, number];
  await c.kill(f1);
  await c.kill(f2);
  const strangersBeforeRestart = strangers.length;
  c.start(f1);
  await waitFor('a write to commit with the restarted node', async () => (await jsonRequest(c.node(f1).port, { op: 'set', key: 'during', value: 'pressure' })).ok === true);
  t.ok(strangers.length - strangersBeforeRestart > 8, `${strangers.length - strangersBeforeRestart} strangers came while node ${f1} rejoined`);
  t.equal(await readValue(c.node(leader).port, { op: 'get', key: 'during' }), 'pressure');
  t.equal(c.procs.get(leader)!.exitCode, null, 'the leader process is alive');
});
