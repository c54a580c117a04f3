import t from 'tap';
import type { ClientRequest } from '../../src/protocol/client-requests.js';
import { encodeRespResult } from '../../src/protocol/redis-replies.js';

t.test('results encode per op', async (t) => {
  const cases: Array<[ClientRequest, unknown, string, ('set-nx' | 'count')?]> = [
    [{ op: 'get', key: 'k' }, 'bar', '$3\r\nbar\r\n'],
    [{ op: 'get', key: 'k' }, null, '$-1\r\n'],
    [{ op: 'get', key: 'k' }, 'é', '$2\r\né\r\n'],
    [{ op: 'set', key: 'k', value: 'v' }, 'OK', '+OK\r\n'],
    [{ op: 'set', key: 'k', value: 'v' }, undefined, '+OK\r\n'],
    [{ op: 'del', keys: ['a'] }, 2, ':2\r\n'],
    [{ op: 'exists', keys: ['a'] }, 0, ':0\r\n'],
    [{ op: 'cas', key: 'k', expected: 'a', value: 'b' }, true, ':1\r\n'],
    [{ op: 'cas', key: 'k', expected: 'a', value: 'b' }, false, ':0\r\n'],
    [{ op: 'cas', key: 'k', expected: null, value: 'b' }, true, '+OK\r\n', 'set-nx'],
    [{ op: 'cas', key: 'k', expected: null, value: 'b' }, false, '$-1\r\n', 'set-nx'],
    [{ op: 'keys', pattern: '*' }, ['a', 'é'], '*2\r\n$1\r\na\r\n$2\r\né\r\n'],
    [{ op: 'keys', pattern: '*' }, [], '*0\r\n'],
    [{ op: 'keys', pattern: '*' }, ['a', 'b', 'c'], ':3\r\n', 'count'],
    [{ op: 'ping' }, 'PONG', '+PONG\r\n'],
    [{ op: 'ping', message: 'yo' }, 'yo', '$2\r\nyo\r\n'],
    [{ op: 'info' }, '# Server\r\n', '$10\r\n# Server\r\n\r\n'],
    [{ op: 'status' }, { id: 1 }, '$8\r\n{"id":1}\r\n'],
    [{ op: 'entries', limit: 1 }, [], '$2\r\n[]\r\n'],
  ];
  for (const [req, value, want, shape] of cases) {
    t.equal(encodeRespResult(req, value, shape), want, `${req.op} ${JSON.stringify(value)} ${shape ?? ''}`);
  }
  t.throws(() => encodeRespResult({ op: 'get', key: 'k' }, 5), { code: 'INTERNAL' });
  t.throws(() => encodeRespResult({ op: 'del', keys: ['k'] }, '1'), { code: 'INTERNAL' });
  t.throws(() => encodeRespResult({ op: 'keys', pattern: '*' }, [1]), { code: 'INTERNAL' });
});
