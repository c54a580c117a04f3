/**
 * Hostile input against the live client and peer ports of a 3-node cluster while a writer keeps
 * writing: generated requests in all three dialects cut into random chunks, pipelined bursts of
 * big replies, byte-at-a-time senders, extreme numbers in every numeric field, and malformed peer
 * messages after a member's hello. Then every node must be alive with bounded memory, and every
 * write that was acknowledged must read back from every node.
 *
 * CI throws 2,000 client inputs (and a tenth as many peer messages); `npm run fuzz -- --inputs N`
 * throws N. FUZZ_SEED replays a run. Peer messages that pass the validator are not sent: a
 * well-formed message that breaks Raft's rules (an acknowledgement beyond what was sent) is for
 * the consensus core to drop, which is tested there. Without TLS each peer-port hello as a member
 * bumps that member's real connection (the hello is no authentication), so replication stalls
 * for a reconnect each time and the writer gets few writes through: the price of a peer port
 * without `security`, shown here on purpose.
 */
import net from 'node:net';
import t from 'tap';
import { validatePeerMessage } from '../../src/protocol/raft-validate.js';
import { encodeCommand } from '../../src/protocol/resp.js';
import { chunked, clientInput, FUZZ_SEED, fuzzInputs, peerMessage, rngFor } from '../fuzz/hostile-inputs.js';
import { jsonRequest, rssBytes, startCluster, waitFor } from './harness.js';

const N = fuzzInputs(2000);
const INPUTS_PER_CONNECTION = 25;
const WORKERS = 6;
const MiB = 1024 * 1024;

/** Writes `chunks` on a fresh connection, a turn of the event loop apart; reads and drops replies; closes when done or closed. */
function throwAt(port: number, chunks: Buffer[], lingerMs = 50): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let i = 0;
    const finish = () => {
      s.destroy();
      resolve();
    };
    const next = () => {
      if (s.destroyed) return;
      if (i === chunks.length) {
        setTimeout(finish, lingerMs);
        return;
      }
      s.write(chunks[i++]!, () => setImmediate(next));
    };
    s.on('connect', next);
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => resolve());
    setTimeout(finish, 20_000).unref();
  });
}

t.test(`live fuzz: ${N} client inputs, seed ${FUZZ_SEED}`, async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  const leader = await c.waitForLeader();
  t.comment(`replay with FUZZ_SEED=${FUZZ_SEED} FUZZ_INPUTS=${N}`);
  t.equal((await jsonRequest(c.node(leader).port, { op: 'set', key: 'big', value: 'b'.repeat(512 * 1024) }, 10_000)).ok, true);

  // A writer that keeps writing through every node and remembers what was acknowledged.
  const acked = new Map<string, string>();
  let writing = true;
  const writer = (async () => {
    for (let w = 0; writing; w++) {
      const node = c.nodes[w % c.nodes.length]!;
      const key = `w${w}`;
      try {
        const r = await jsonRequest(node.port, { op: 'set', key, value: `v${w}` }, 5000);
        if (r.ok) acked.set(key, `v${w}`);
      } catch {
        // Not acknowledged: nothing to check.
      }
    }
  })();

  let nextInput = 0;
  const worker = async () => {
    for (;;) {
      const first = nextInput;
      if (first >= N) return;
      nextInput += INPUTS_PER_CONNECTION;
      const r = rngFor(FUZZ_SEED, first, 'connection');
      const port = c.nodes[(first / INPUTS_PER_CONNECTION) % c.nodes.length]!.port;
      const chunks: Buffer[] = [];
      for (let i = first; i < Math.min(first + INPUTS_PER_CONNECTION, N); i++) chunks.push(...chunked(clientInput(FUZZ_SEED, i), rngFor(FUZZ_SEED, i, 'chunks')));
      if (r.chance(0.05)) chunks.push(Buffer.from('GET big\r\n'.repeat(r.int(100, 400)))); // pipelined big replies
      if (r.chance(0.02)) chunks.push(...[...Buffer.from(`{"op":"set","key":"slow","value":"${'s'.repeat(2000)}`)].map((b) => Buffer.from([b]))); // byte at a time
      await throwAt(port, chunks);
    }
  };

  // The peer ports: a member's hello, then messages the validator must refuse.
  const peerWorker = async () => {
    for (let i = 0; i < Math.ceil(N / 10); i++) {
      const target = c.nodes[i % c.nodes.length]!;
      const from = c.nodes.find((n) => n.id !== target.id)!.id;
      const raw = peerMessage(FUZZ_SEED, i, from, target.id);
      if (typeof validatePeerMessage(raw) !== 'string') continue;
      const line = JSON.stringify(raw) ?? 'null';
      await throwAt(target.peerPort, [Buffer.from(JSON.stringify({ hello: { from, to: target.id } }) + '\n' + line + '\n')], 10);
    }
  };

  const started = Date.now();
  await Promise.all([...Array.from({ length: WORKERS }, worker), peerWorker()]);
  writing = false;
  await writer;
  t.comment(`${N} client inputs in ${((Date.now() - started) / 1000).toFixed(1)} s; ${acked.size} writes acknowledged meanwhile`);

  for (const n of c.nodes) {
    t.equal(c.procs.get(n.id)!.exitCode, null, `node ${n.id} is alive`);
    const rss = rssBytes(c.procs.get(n.id)!.pid!);
    t.ok(rss < 600 * MiB, `node ${n.id} memory bounded (${(rss / MiB).toFixed(0)} MiB)`);
  }
  await c.waitForLeader();
  t.ok(acked.size > 0, 'the writer got writes through');
  const keys = [...acked.keys()];
  for (const n of c.nodes) {
    await waitFor(`node ${n.id} to hold every acknowledged write`, async () => {
      const got = await jsonRequest(n.port, { op: 'keys', pattern: 'w*' }, 5000);
      if (!got.ok) return false;
      const have = new Set(got.value as string[]);
      return keys.every((k) => have.has(k));
    }, 30_000);
    for (const k of keys.filter((_, i) => i % 10 === 0)) {
      const r = await jsonRequest(n.port, { op: 'get', key: k }, 5000);
      if (r.value !== acked.get(k)) t.fail(`node ${n.id}: ${k} is ${JSON.stringify(r.value)}, acknowledged ${acked.get(k)}`);
    }
  }
  t.pass('every acknowledged write reads back from every node');
  const redis = await new Promise<string>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: c.node(leader).port }, () => s.write(encodeCommand(['PING'])));
    s.on('data', (d) => (resolve(d.toString()), s.destroy()));
    s.on('error', () => resolve('error'));
  });
  t.equal(redis, '+PONG\r\n', 'a fresh client is served');
});
