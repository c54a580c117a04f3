/** ClientWaiters on its own: the bookkeeping of writes and reads between the driver and the core. */
import t from 'tap';
import { RaftKvError } from '../../src/protocol/errors.js';
import { ClientWaiters } from '../../src/node/client-waiters.js';
import type { KvCommand } from '../../src/node/kv-command.js';
import { FakeClock } from '../lib/fake-clock.js';

function recorder() {
  const calls: { err: RaftKvError | null; value?: unknown }[] = [];
  return { calls, done: (err: RaftKvError | null, value?: unknown) => void calls.push({ err, value }) };
}

const cmd = (session: { clientId?: string; seq?: number } = {}): KvCommand => ({ op: 'set', key: 'k', value: 'v', ...session });

t.test('writes get unique reqIds; only session writes carry the wall-clock log time', async (t) => {
  const clock = new FakeClock(5_000_000);
  const w = new ClientWaiters(3, 1000, clock);
  const plain = cmd();
  const session = cmd({ clientId: 'c', seq: 1 });
  w.addWrite(plain, () => {});
  w.addWrite(session, () => {});
  t.match(plain.reqId, /^3\./);
  t.not(plain.reqId, session.reqId);
  t.equal(plain.at, undefined);
  t.equal(session.at, 5_000_000);
  t.same(w.takeProposals(), [plain, session]);
  t.same(w.takeProposals(), [], 'taken once');
  t.equal(w.waitingWrites, 2);
});

t.test('a dropped batch fails NO_LEADER; an index applied with another term fails PROPOSAL_DROPPED', async (t) => {
  const w = new ClientWaiters(1, 1000, new FakeClock());
  const a = recorder();
  const b = recorder();
  w.addWrite(cmd(), a.done);
  w.dropped(w.takeProposals(), 0);
  t.equal(a.calls[0]?.err?.code, 'NO_LEADER');
  w.addWrite(cmd(), b.done);
  w.appended(w.takeProposals(), 7, 2);
  w.applied({ index: 7, term: 3, kind: 'noop' }, null);
  t.equal(b.calls.length, 1);
  t.equal(b.calls[0]?.err?.code, 'PROPOSAL_DROPPED');
  t.equal(w.waitingWrites, 0);
});

t.test('an applied outcome answers its write once; SESSION_EXPIRED keeps its code, other KV errors are BAD_REQUEST', async (t) => {
  const w = new ClientWaiters(1, 1000, new FakeClock());
  const ok = recorder();
  const expired = recorder();
  const stale = recorder();
  const c1 = cmd();
  const c2 = cmd();
  const c3 = cmd();
  w.addWrite(c1, ok.done);
  w.addWrite(c2, expired.done);
  w.addWrite(c3, stale.done);
  w.appended(w.takeProposals(), 1, 1);
  w.applied({ index: 1, term: 1, kind: 'cmd' }, { reqId: c1.reqId!, result: 'OK' });
  w.applied({ index: 1, term: 1, kind: 'cmd' }, { reqId: c1.reqId!, result: 'OK' });
  w.applied({ index: 2, term: 1, kind: 'cmd' }, { reqId: c2.reqId!, result: { error: { code: 'SESSION_EXPIRED', message: 'gone' } } });
  w.applied({ index: 3, term: 1, kind: 'cmd' }, { reqId: c3.reqId!, result: { error: { code: 'STALE_SEQ', message: 'old' } } });
  t.same(ok.calls, [{ err: null, value: 'OK' }], 'answered once');
  t.equal(expired.calls[0]?.err?.code, 'SESSION_EXPIRED');
  t.equal(stale.calls[0]?.err?.code, 'BAD_REQUEST');
  t.match(stale.calls[0]?.err?.details, { reason: 'STALE_SEQ' });
});

t.test('reads: one round per batch, served in index order as the state machine reaches them', async (t) => {
  const w = new ClientWaiters(1, 1000, new FakeClock());
  const served: string[] = [];
  w.addRead(() => served.push('r1'));
  w.addRead(() => served.push('r2'));
  const round1 = w.takeReadRound()!;
  t.equal(w.takeReadRound(), null, 'no reads, no round');
  w.addRead(() => served.push('r3'));
  const round2 = w.takeReadRound()!;
  w.readStates([{ ctx: round2, index: 5 }, { ctx: round1, index: 9 }], 4);
  t.same(served, [], 'nothing applied far enough yet');
  w.serveAppliedReads(5);
  t.same(served, ['r3']);
  w.serveAppliedReads(9);
  t.same(served, ['r3', 'r1', 'r2']);
  const failed = recorder();
  w.addRead(failed.done);
  w.readStates([{ ctx: w.takeReadRound()!, index: -1 }], 9);
  t.equal(failed.calls[0]?.err?.code, 'NO_LEADER', 'a round the core gave up on fails its reads');
});

t.test('forwarded writes fail fast when a different leader appears, not when the same one is re-announced', async (t) => {
  const w = new ClientWaiters(1, 60_000, new FakeClock());
  const r = recorder();
  w.addWrite(cmd(), r.done);
  w.forwarded(w.takeProposals(), 2);
  w.failForwardedWrites(2);
  t.same(r.calls, []);
  w.failForwardedWrites(3);
  t.equal(r.calls[0]?.err?.code, 'TIMEOUT');
  t.match(r.calls[0]?.err?.message, /node 2 -> node 3/);
});

t.test('sweep fails writes and reads at their monotonic deadline, and failAll ends everything', async (t) => {
  const clock = new FakeClock();
  const w = new ClientWaiters(1, 100, clock);
  const early = recorder();
  const read = recorder();
  w.addWrite(cmd(), early.done);
  w.addRead(read.done);
  w.takeReadRound();
  clock.advance(50);
  const late = recorder();
  w.addWrite(cmd(), late.done);
  w.sweep(clock.monotonic() + 49, 0);
  t.same([early.calls.length, read.calls.length, late.calls.length], [0, 0, 0], 'nothing before its deadline');
  w.sweep(clock.monotonic() + 50, 0);
  t.equal(early.calls[0]?.err?.code, 'TIMEOUT');
  t.equal(read.calls[0]?.err?.code, 'TIMEOUT');
  t.equal(late.calls.length, 0, 'a later write keeps its own deadline');
  const pendingRead = recorder();
  w.addRead(pendingRead.done);
  w.failAll(new RaftKvError('TIMEOUT', 'unknown'), new RaftKvError('SHUTTING_DOWN', 'bye'));
  t.equal(late.calls[0]?.err?.code, 'TIMEOUT');
  t.equal(pendingRead.calls[0]?.err?.code, 'SHUTTING_DOWN');
  t.equal(w.waitingWrites, 0);
});
