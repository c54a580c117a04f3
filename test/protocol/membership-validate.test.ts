/**
 * membership-validate.ts: the one place where node ids, member addresses and the `members` reply
 * are judged (command lines, the Redis dialect, JSON requests, the supervisor's record, the
 * client library), from a table of good and bad values.
 */
import t from 'tap';
import { addressError, memberInfoError, membersReplyError, nodeIdOfWord, MAX_MEMBERS } from '../../src/protocol/membership-validate.js';

t.test('nodeIdOfWord: decimal digits from 1 to 2^31, nothing else', async (tt) => {
  const good: Array<[string, number]> = [['1', 1], ['42', 42], [String(2 ** 31), 2 ** 31]];
  for (const [word, id] of good) tt.equal(nodeIdOfWord(word), id, word);
  for (const word of ['', '0', '007', '-1', '+1', '1.5', '1e3', ' 1', '0x10', String(2 ** 31 + 1), '99999999999', 'one']) {
    tt.equal(nodeIdOfWord(word), null, JSON.stringify(word));
  }
});

t.test('addressError names the field, with the prefix given', async (tt) => {
  tt.equal(addressError({ host: 'h', port: 1, peerPort: 65535 }), null);
  tt.equal(addressError({ host: 'h', port: 0, peerPort: 2 }), 'address.port must be an integer from 1 to 65535');
  tt.equal(addressError({ host: 'h', port: 1, peerPort: 70000 }, 'added[3].'), 'added[3].peerPort must be an integer from 1 to 65535');
  tt.equal(addressError({ host: 'a b', port: 1, peerPort: 2 }, ''), 'host must be a host name or IP address');
  tt.equal(addressError('h:1:2'), 'address must be an object {host, port, peerPort}');
});

t.test('a members reply: rows of {id, host, port, peerPort, role}, distinct ids, bounded', async (tt) => {
  const row = (id: number, extra: Record<string, unknown> = {}) => ({ id, host: '127.0.0.1', port: 7000 + id, peerPort: 7100 + id, role: 'voter', ...extra });
  tt.equal(membersReplyError([row(1), row(2, { role: 'learner' })]), null);
  tt.equal(membersReplyError([]), null, 'empty (a node that knows no membership yet)');
  const bad: Array<[unknown, RegExp]> = [
    [null, /must be an array/],
    [{ 1: row(1) }, /must be an array/],
    [[row(1), 'x'], /must be an object/],
    [[row(0)], /member id must be a positive integer/],
    [[row(1, { id: '1' })], /member id/],
    [[row(1, { host: '' })], /member 1: host must be/],
    [[row(1, { port: 0 })], /member 1: port must be/],
    [[row(1, { peerPort: 1.5 })], /member 1: peerPort must be/],
    [[row(1, { role: 'leader' })], /member 1: role must be voter or learner/],
    [[row(1), row(1)], /names an id twice/],
    [Array.from({ length: MAX_MEMBERS + 1 }, (_, i) => row(i + 1)), /at most 64/],
  ];
  for (const [value, why] of bad) tt.match(membersReplyError(value), why, JSON.stringify(value).slice(0, 80));
  tt.equal(memberInfoError(row(3)), null);
});
