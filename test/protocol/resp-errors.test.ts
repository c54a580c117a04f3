import t from 'tap';
import { ERROR_CODES, RaftKvError } from '../../src/protocol/errors.js';
import { encodeRespError, errorFromResp, RESP_ERROR_PREFIX } from '../../src/protocol/resp-errors.js';

t.test('errors: prefix per code, CR/LF flattened, round trip through errorFromResp', async (t) => {
  const want: Array<[string, string]> = [
    [encodeRespError(new RaftKvError('NO_LEADER', 'no leader is known, try again')), '-NOLEADER no leader is known, try again\r\n'],
    [encodeRespError(new RaftKvError('NOT_LEADER', 'leader is 2 at 127.0.0.1:7002')), '-NOTLEADER leader is 2 at 127.0.0.1:7002\r\n'],
    [encodeRespError(new RaftKvError('BAD_REQUEST', 'bad\r\nthing')), '-ERR bad  thing\r\n'],
    [encodeRespError(new RaftKvError('WRONG_TYPE', 'Operation against a key holding the wrong kind of value')), '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'],
    [encodeRespError(new Error('x')), '-ERR x\r\n'],
  ];
  for (const [got, expected] of want) t.equal(got, expected);
  const prefixes = new Map<string, string>();
  for (const code of ERROR_CODES) {
    const prefix = RESP_ERROR_PREFIX[code];
    t.match(prefix, /^[A-Z]+$/, code);
    if (prefix !== 'ERR') {
      t.notOk(prefixes.has(prefix), `${prefix} belongs to one code`);
      prefixes.set(prefix, code);
      const back = errorFromResp(encodeRespError(new RaftKvError(code, 'why')).slice(1, -2));
      t.equal(back.code, code, `${code} round trip`);
      t.equal(back.message, 'why');
    }
  }
  t.equal(errorFromResp("ERR unknown command 'x', with args beginning with: ").code, 'UNKNOWN_OP');
  t.equal(errorFromResp('ERR Protocol error: too big inline request').code, 'PROTOCOL_ERROR');
  t.equal(errorFromResp('ERR syntax error').code, 'BAD_REQUEST');
  t.equal(errorFromResp('MOVED 3999 127.0.0.1:6381').code, 'BAD_REQUEST');
  t.equal(errorFromResp('MOVED 3999 127.0.0.1:6381').message, 'MOVED 3999 127.0.0.1:6381');
  t.equal(errorFromResp('').code, 'BAD_REQUEST');
});
