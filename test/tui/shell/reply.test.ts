import t from 'tap';
import { replyFromError, replyFromResult } from '../../../src/tui/shell/reply.js';

t.test('client results map to Redis-shaped replies', async (t) => {
  const TABLE: Array<[string, unknown, unknown]> = [
    ['get', 'v', { type: 'bulk', value: 'v' }],
    ['GET', null, { type: 'bulk', value: null }],
    ['get', undefined, { type: 'bulk', value: null }],
    ['set', 'OK', { type: 'simple', value: 'OK' }],
    ['del', 2, { type: 'integer', value: 2 }],
    ['exists', true, { type: 'integer', value: 1 }],
    ['cas', true, { type: 'integer', value: 1 }],
    ['cas', false, { type: 'integer', value: 0 }],
    ['keys', ['a', 'b'], { type: 'array', items: [{ type: 'bulk', value: 'a' }, { type: 'bulk', value: 'b' }] }],
    ['keys', [], { type: 'array', items: [] }],
    ['ping', 'PONG', { type: 'simple', value: 'PONG' }],
    ['ping', 'hello', { type: 'bulk', value: 'hello' }],
  ];
  for (const [cmd, value, reply] of TABLE) t.same(replyFromResult(cmd, value), reply, `${cmd} ${JSON.stringify(value)}`);
});

t.test('unexpected values become error replies, not wrong answers', async (t) => {
  for (const [cmd, value] of [['get', 42], ['del', 'x'], ['keys', [1]], ['cas', 'yes'], ['info', { a: 1 }]] as const) {
    const r = replyFromResult(cmd, value);
    t.equal(r.type, 'error', `${cmd} ${JSON.stringify(value)}`);
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.equal(replyFromResult('get', cyclic).type, 'error');
});

t.test('errors keep their code', async (t) => {
  const coded = Object.assign(new Error('no reply from 127.0.0.1:7001 within 5000 ms'), { code: 'TIMEOUT' });
  t.same(replyFromError(coded), { type: 'error', message: 'TIMEOUT no reply from 127.0.0.1:7001 within 5000 ms' });
  const prefixed = Object.assign(new Error('NOT_LEADER try node 2'), { code: 'NOT_LEADER' });
  t.same(replyFromError(prefixed), { type: 'error', message: 'NOT_LEADER try node 2' });
  t.same(replyFromError(new Error('boom\nsecond line')), { type: 'error', message: 'ERR boom second line' });
  t.same(replyFromError('plain'), { type: 'error', message: 'ERR plain' });
  t.same(replyFromError(undefined), { type: 'error', message: 'ERR undefined' });
});
