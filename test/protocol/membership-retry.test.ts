/**
 * retryMembershipCall, the loop the supervisor, raft-tui and a joining node share: which
 * failures are retried, the deadline, giving up quietly when stopped, and the check of a change
 * whose outcome was unknown (TIMEOUT) or that is refused as already in effect (BAD_REQUEST).
 */
import t from 'tap';
import { RaftKvError } from '../../src/protocol/errors.js';
import { retryMembershipCall, type MembershipRetryOptions } from '../../src/protocol/membership-retry.js';

/** A call that fails with the codes given, in order, then succeeds with 'ok'. */
function scripted(codes: string[]): { call: () => Promise<string>; tries: () => number } {
  let n = 0;
  return {
    call: async () => {
      const code = codes[n++];
      if (code === undefined) return 'ok';
      throw new RaftKvError(code as never, `try ${n}: ${code}`);
    },
    tries: () => n,
  };
}

const later = (e: RaftKvError) => e.code === 'IN_PROGRESS' || e.code === 'NOT_CAUGHT_UP';
const base = (over: Partial<MembershipRetryOptions> = {}): MembershipRetryOptions => ({ retryable: later, deadline: Date.now() + 10_000, delayMs: () => 1, ...over });

t.test('retryable failures are retried until the call succeeds; each is reported', async (tt) => {
  const s = scripted(['IN_PROGRESS', 'NOT_CAUGHT_UP', 'IN_PROGRESS']);
  const seen: string[] = [];
  tt.same(await retryMembershipCall(s.call, base({ onRetry: (e) => seen.push(e.code) })), { value: 'ok' });
  tt.equal(s.tries(), 4);
  tt.same(seen, ['IN_PROGRESS', 'NOT_CAUGHT_UP', 'IN_PROGRESS']);
});

t.test('a final failure is thrown at once; so is a retryable one past the deadline', async (tt) => {
  const refused = scripted(['NOT_LEADER']);
  await tt.rejects(retryMembershipCall(refused.call, base()), { code: 'NOT_LEADER' });
  tt.equal(refused.tries(), 1);
  const late = scripted(['IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS']);
  await tt.rejects(retryMembershipCall(late.call, base({ deadline: Date.now() - 1 })), { code: 'IN_PROGRESS' });
  tt.equal(late.tries(), 1, 'no try starts after the deadline');
});

t.test('stopped: no further try, and the outcome says so', async (tt) => {
  let stop = false;
  const s = scripted(['IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS']);
  const outcome = await retryMembershipCall(async () => {
    if (s.tries() === 1) stop = true;
    return s.call();
  }, base({ stopped: () => stop }));
  tt.same(outcome, { settled: 'stopped' });
  tt.equal(s.tries(), 2);
});

t.test('a change whose try timed out and is then refused counts as done when it is in effect', async (tt) => {
  // TIMEOUT (retried here), then BAD_REQUEST "already a member": the lost try had added it.
  const s = scripted(['TIMEOUT', 'BAD_REQUEST']);
  const asked: number[] = [];
  const o = base({ retryable: (e) => e.code === 'TIMEOUT', inEffect: async () => (asked.push(s.tries()), true) });
  tt.same(await retryMembershipCall(s.call, o), { settled: 'in effect' });
  tt.same(asked, [2], 'asked once, after the refusal');

  const notIn = scripted(['BAD_REQUEST']);
  await tt.rejects(retryMembershipCall(notIn.call, base({ inEffect: async () => false })), { code: 'BAD_REQUEST' }, 'not in effect: the refusal stands');

  const other = scripted(['NOAUTH']);
  let checked = false;
  await tt.rejects(retryMembershipCall(other.call, base({ inEffect: async () => (checked = true) })), { code: 'NOAUTH' });
  tt.notOk(checked, 'a refusal that cannot hide a success is not checked');
});
