/**
 * Network faults on real processes, ordered through `raftkv ctl` (the CLI, over the supervisor's
 * control socket): isolate the leader (the majority elects another and serves writes; a client
 * of the isolated node gets an error within its deadline, never a stale value), heal (the old
 * leader steps down without disturbing the new term, and catches up), a one-way cut (the cut
 * follower falls behind, then catches up), and a slow node (it applies late). Each timing is
 * printed as a comment: these are the numbers the README reports.
 */
import { execFile } from 'node:child_process';
import t from 'tap';
import { CLI, jsonRequest, rawExchange } from './harness.js';
import { startSupervised, type Supervised } from './supervised.js';
import { waitFor } from '../lib/wait-for.js';

function ctl(c: Supervised, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'ctl', ...args, '--socket', c.control.socketPath], { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
}

/** A write through node `via`; resolves with the reply, or null if none came within `ms`. */
async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const at = performance.now();
  const v = await f();
  return [v, performance.now() - at];
}

async function set(c: Supervised, via: number, key: string, value: string, ms = 2000): Promise<any | null> {
  return jsonRequest(c.port(via), { op: 'set', key, value }, ms).catch(() => null);
}

/** PARTITION_ELECTION_MS=150-300 measures with the default cluster's timing (the README's numbers). */
function electionFromEnv(): { min: number; max: number } | undefined {
  const m = /^(\d+)-(\d+)$/.exec(process.env.PARTITION_ELECTION_MS ?? '');
  return m ? { min: Number(m[1]), max: Number(m[2]) } : undefined;
}

t.test('isolate the leader, heal, one-way cut, slow node', async (t) => {
  const election = electionFromEnv();
  const c = await startSupervised(t, election ? { electionTimeoutMs: election } : {});
  const all = c.cfg.nodes.map((n) => n.id);
  const old = await c.waitForLeader();
  t.equal((await set(c, old, 'k', 'v1'))?.ok, true, 'a first write');
  const others = all.filter((id) => id !== old);

  // ---- isolate the leader
  // Timed through the supervisor in-process (what `ctl isolate leader` calls), from the moment
  // every node confirmed its cuts: a CLI process start would only add noise to the numbers.
  const ev = await c.supervisor.isolate('leader');
  const cutAt = performance.now();
  t.same(ev.unconfirmed, [], 'every node confirmed');
  // A client of the isolated node, asking at once (while it may still believe it leads).
  const early = Promise.all([
    timed(() => jsonRequest(c.port(old), { op: 'get', key: 'k' }, 10_000)),
    timed(() => jsonRequest(c.port(old), { op: 'set', key: 'early', value: 'x' }, 10_000)),
  ]);

  const newLeader = await c.waitForLeader(others, 20_000);
  const electedMs = performance.now() - cutAt;
  t.not(newLeader, old, 'the majority elected another leader');
  await waitFor('a write on the majority side', async () => (await set(c, newLeader, 'k', 'v2', 1000))?.ok === true, 20_000);
  const writeMs = performance.now() - cutAt;
  t.comment(`isolate leader -> new leader ${newLeader} known by the majority after ${electedMs.toFixed(0)} ms, first write acknowledged after ${writeMs.toFixed(0)} ms (election timeout ${c.cfg.electionTimeoutMs.min}-${c.cfg.electionTimeoutMs.max} ms)`);

  const [[er, erMs], [ew, ewMs]] = await early;
  t.equal(er.ok, false, `a read sent to the isolated node at once is refused (${er.error?.code})`);
  t.equal(ew.ok, false, `a write sent to the isolated node at once is refused (${ew.error?.code})`);
  t.ok(Math.max(erMs, ewMs) < 5000, 'both within the 3 s request deadline and some slack');
  t.comment(`minority-side client at the moment of isolation: read error ${er.error?.code} after ${erMs.toFixed(0)} ms, write error ${ew.error?.code} after ${ewMs.toFixed(0)} ms`);
  // Later, once the majority wrote v2: still an error, never the stale v1.
  const readAt = performance.now();
  const r = await jsonRequest(c.port(old), { op: 'get', key: 'k' }, 10_000);
  const readMs = performance.now() - readAt;
  t.equal(r.ok, false, `a read on the isolated node is refused (${JSON.stringify(r.error ?? r.value)})`);
  t.ok(readMs < 5000, `within its deadline (${readMs.toFixed(0)} ms)`);
  const w = await jsonRequest(c.port(old), { op: 'set', key: 'm', value: 'x' }, 10_000);
  t.equal(w.ok, false, `a write on the isolated node gets an error (${w.error?.code})`);
  t.comment(`minority-side client: read error ${r.error?.code} after ${readMs.toFixed(0)} ms, write error ${w.error?.code}`);
  const isoStatus = await c.status(old);
  t.equal(isoStatus.links[String(newLeader)].dropFrom, true, 'the isolated node reports its cut links');

  // ---- heal: the old leader steps down to the new term (pre-vote: no term bump) and catches up
  // on what it missed: 200 writes made while it was cut off.
  for (let b = 0; b < 10; b++) {
    const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => set(c, newLeader, `during${b * 20 + i}`, 'x', 5000)));
    t.ok(acks.every((a) => a?.ok === true), `batch ${b} of writes on the majority side`);
  }
  const termBefore = (await c.status(newLeader)).term;
  const commitBefore = (await c.status(newLeader)).commitIndex;
  await c.supervisor.heal();
  const healAt = performance.now();
  await waitFor('the old leader to follow and catch up', async () => {
    const s = await c.status(old);
    return s && s.role === 'follower' && s.leader === newLeader && s.lastApplied >= commitBefore;
  }, 20_000);
  const caughtUpMs = performance.now() - healAt;
  t.equal((await c.status(newLeader)).term, termBefore, 'the new term was not disturbed');
  t.equal((await c.status(newLeader)).role, 'leader', 'the new leader stayed leader');
  t.comment(`heal -> old leader ${old} follows node ${newLeader} and has applied up to ${commitBefore} (200+ entries it missed) after ${caughtUpMs.toFixed(0)} ms`);
  const got = await jsonRequest(c.port(old), { op: 'get', key: 'k' }, 5000);
  t.same(got.value, 'v2', 'the old leader now answers with the new value');

  // ---- the same through the CLI: isolate a follower, status shows it, heal
  const leader0 = await c.waitForLeader();
  const f0 = all.find((id) => id !== leader0)!;
  const iso = await ctl(c, 'isolate', String(f0));
  t.equal(iso.code, 0, iso.out);
  t.match(iso.out, new RegExp(`isolate ${f0}: faults now`), 'the CLI names the node and the faults');
  const st = await ctl(c, 'status');
  t.match(st.out, /faults/, 'status has a faults column');
  t.match(st.out, new RegExp(`drops to ${all.filter((id) => id !== f0).join(',')}; from`), 'status shows the cuts');
  const healed = await ctl(c, 'heal');
  t.equal(healed.code, 0, healed.out);
  t.match(healed.out, /heal all: faults now no faults/);
  t.equal((await c.waitForLeader()), leader0, 'isolating a follower did not move the leader (pre-vote)');

  // ---- one-way cut leader -> follower: the follower falls behind, heal lets it catch up
  const leader = await c.waitForLeader();
  const follower = all.find((id) => id !== leader)!;
  const cut = await ctl(c, 'cut', String(leader), String(follower), '--one-way');
  t.equal(cut.code, 0, cut.out);
  t.match(cut.out, new RegExp(`${leader}->${follower}`));
  for (let i = 0; i < 3; i++) t.equal((await set(c, leader, `c${i}`, 'x'))?.ok, true, 'writes go on with the other follower');
  const lead = await c.status(leader);
  const behind = await c.status(follower);
  t.ok(behind.lastApplied < lead.commitIndex, `the cut follower is behind (${behind.lastApplied} < ${lead.commitIndex})`);
  t.equal(lead.links[String(follower)].dropTo, true, 'the leader reports the one-way cut');
  t.equal((await ctl(c, 'heal', String(follower))).code, 0);
  await waitFor('the follower to catch up', async () => (await c.status(follower))?.lastApplied >= lead.commitIndex, 20_000);
  t.pass('healed follower caught up');

  // ---- slow follower: writes still commit with the other two; it applies them late
  const slowOne = all.find((id) => id !== leader && id !== follower) ?? follower;
  t.equal((await ctl(c, 'slow', String(slowOne), '1500')).code, 0);
  const ack = await set(c, leader, 'slow', 'yes', 5000);
  t.equal(ack?.ok, true, 'a write commits without the slow node');
  const stale = await jsonRequest(c.port(slowOne), { op: 'get', key: 'slow', consistency: 'stale' }, 3000);
  t.equal(stale.value, null, 'the slow node has not applied it yet');
  await waitFor('the slow node to apply it', async () => (await jsonRequest(c.port(slowOne), { op: 'get', key: 'slow', consistency: 'stale' }, 3000)).value === 'yes', 20_000);
  t.equal((await ctl(c, 'heal')).code, 0);

  // ---- strangers cannot order faults: not on the client port, not on the peer port
  const stranger = await jsonRequest(c.port(leader), { op: 'faults-set', seq: 1, settings: { dropTo: all, dropFrom: all, delayMs: 0 } });
  t.equal(stranger.error?.code, 'UNKNOWN_OP', 'the client port has no such command');
  const me = c.cfg.nodes.find((n) => n.id === leader)!;
  const peer = await rawExchange(me.peerPort, JSON.stringify({ type: 'faults-set', seq: 1, settings: { dropTo: all.filter((id) => id !== leader), dropFrom: [], delayMs: 0 } }) + '\n', 'close');
  t.ok(peer.closed, 'the peer port closes on a fault command instead of a hello');
  t.same((await c.status(leader)).faults, { dropTo: [], dropFrom: [], delayMs: 0 }, 'and nothing changed');

  // ---- bad requests get clear errors
  const bad = await ctl(c, 'cut', '1', '1');
  t.equal(bad.code, 1);
  t.match(bad.out, /cannot cut node 1 from itself/);
  const unknown = await ctl(c, 'isolate', '9');
  t.match(unknown.out, /no node with id 9/);
  const usage = await ctl(c, 'slow', '1');
  t.equal(usage.code, 2);
});
