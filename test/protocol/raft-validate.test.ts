/**
 * Peer message validation: well-formed messages pass untouched, each malformed field is refused
 * with a reason naming it. Focus: the optional `sentTick` of leader leases (thesis §6.4.1), and
 * the hello that opens every peer connection.
 */
import t from 'tap';
import { MAX_PROPOSE_BATCH, MAX_TERM_OR_INDEX, validateHello, validatePeerMessage } from '../../src/protocol/raft-validate.js';
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../../src/protocol/size-limits.js';

const base = { from: 1, to: 2, term: 3 };
const GOOD: Record<string, unknown>[] = [
  { ...base, type: 'heartbeat', commit: 4 },
  { ...base, type: 'heartbeat', commit: 4, ctx: 'r1', sentTick: 17 },
  { ...base, type: 'heartbeatResp' },
  { ...base, type: 'heartbeatResp', ctx: 'r1', sentTick: 0 },
  { ...base, type: 'append', prevLogIndex: 1, prevLogTerm: 1, commit: 1, entries: [{ term: 3, index: 2, kind: 'noop' }] },
  { ...base, type: 'append', prevLogIndex: 1, prevLogTerm: 1, commit: 1, entries: [], sentTick: 9 },
  { ...base, type: 'appendResp', success: true, index: 2, hintIndex: 0, hintTerm: 0 },
  { ...base, type: 'appendResp', success: false, index: 2, hintIndex: 1, hintTerm: 1, sentTick: 9 },
];

t.test('well-formed messages, with and without sentTick, pass as they are', async (t) => {
  for (const m of GOOD) t.equal(validatePeerMessage(m), m, JSON.stringify(m));
});

t.test('a malformed sentTick is refused with the field named', async (t) => {
  const bad: [Record<string, unknown>, RegExp][] = [];
  for (const m of GOOD) {
    for (const tick of [-1, 1.5, '7', null, true, Number.MAX_SAFE_INTEGER + 2, {}]) {
      bad.push([{ ...m, sentTick: tick }, new RegExp(`^${m.type}\\.sentTick must be an integer from 0 to ${MAX_TERM_OR_INDEX}$`)]);
    }
  }
  for (const [m, reason] of bad) t.match(validatePeerMessage(m), reason, JSON.stringify(m));
});

t.test('other garbage still names its field', async (t) => {
  t.equal(validatePeerMessage({ ...base, type: 'heartbeat' }), `heartbeat.commit must be an integer from 0 to ${MAX_TERM_OR_INDEX}`);
  t.equal(validatePeerMessage({ ...base, type: 'heartbeatResp', ctx: 5 }), 'heartbeatResp.ctx must be a string');
  t.equal(validatePeerMessage({ ...base, type: 'appendResp', success: 'yes', index: 1, hintIndex: 0, hintTerm: 0 }), 'appendResp.success must be a boolean');
  t.equal(validatePeerMessage({ ...base, type: 'bogus' }), 'unknown message type "bogus"');
  t.equal(validatePeerMessage('heartbeat'), 'message must be a JSON object');
});

t.test('terms and indices a node could not increment are refused', async (t) => {
  // 2^53-1 in a heartbeatResp once moved every node there; their votes for 2^53 were refused forever.
  for (const big of [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1]) {
    t.match(validatePeerMessage({ ...base, term: big, type: 'heartbeatResp' }), /^heartbeatResp\.term must be an integer from 0 to/, `term ${big}`);
    t.match(validatePeerMessage({ ...base, type: 'appendResp', success: true, index: big, hintIndex: 0, hintTerm: 0 }), /^appendResp\.index must be/, `index ${big}`);
    t.match(validatePeerMessage({ ...base, type: 'readIndexResp', ctx: 'c', index: big }), /^readIndexResp\.index must be an integer from -1 to/);
    t.match(validatePeerMessage({ ...base, type: 'append', prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [{ term: big, index: 1, kind: 'noop' }] }), /term\/index must be integers/);
  }
  const highest = { ...base, term: MAX_TERM_OR_INDEX, type: 'heartbeatResp' };
  t.equal(validatePeerMessage(highest), highest, 'the largest allowed term passes');
});

t.test('a forwarded proposal is held to the client size limits', async (t) => {
  const ok = { ...base, type: 'propose', data: [{ op: 'set', key: 'k', value: 'v' }] };
  t.equal(validatePeerMessage(ok), ok);
  t.match(validatePeerMessage({ ...ok, data: [{ op: 'set', key: 'k', value: 'v'.repeat(MAX_VALUE_BYTES + 1) }] }), /^propose\.data\[\]: value of more than 1048576 bytes; the limit is 1048576 bytes$/);
  t.match(validatePeerMessage({ ...ok, data: [{ op: 'set', key: 'k'.repeat(MAX_KEY_BYTES + 1), value: 'v' }] }), /^propose\.data\[\]: key of/);
  t.match(validatePeerMessage({ ...ok, data: [{ op: 'del', keys: ['a', 'é'.repeat(MAX_KEY_BYTES / 2 + 1)] }] }), /^propose\.data\[\]: key of 65538 bytes/);
  t.match(validatePeerMessage({ ...ok, data: new Array(MAX_PROPOSE_BATCH + 1).fill({ op: 'del', keys: ['a'] }) }), /^propose\.data has 4097 commands/);
  t.equal(validatePeerMessage({ ...ok, data: [5] }), 'propose.data[] must be objects');
});

t.test('a hello must come from another member and be meant for this node', async (t) => {
  const members = [2, 3];
  const cases: [unknown, number | string][] = [
    [{ hello: { from: 2, to: 1 } }, 2],
    [{ hello: { from: 3, to: 1, extra: true } }, 3],
    [{ hello: { from: 9, to: 1 } }, 'expected a hello from a cluster member first, not from node 9'],
    [{ hello: { from: 1, to: 1 } }, 'expected a hello from a cluster member first, not from node 1'],
    [{ hello: { from: 2, to: 3 } }, 'hello for node 3, but this is node 1'],
    [{ hello: { from: '2', to: 1 } }, 'expected a hello from a cluster member first'],
    [{ hello: null }, 'expected a hello from a cluster member first'],
    [{ type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0 }, 'expected a hello from a cluster member first'],
    [[], 'expected a hello from a cluster member first'],
    [null, 'expected a hello from a cluster member first'],
  ];
  for (const [raw, want] of cases) t.equal(validateHello(raw, 1, members), want, JSON.stringify(raw));
});
