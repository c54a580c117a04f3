import t from 'tap';
import {
  ERROR_CODE_INFO,
  ERROR_CODES,
  ErrorCode,
  RaftKvError,
  errorFromJson,
  isErrorCode,
  isRaftKvError,
  toRaftKvError,
  type RetryClass,
} from '../../src/protocol/errors.js';

// The contract other modules and outside clients rely on: code -> how to retry.
const TABLE: Array<[ErrorCode, RetryClass]> = [
  ['BAD_REQUEST', 'never'],
  ['UNKNOWN_OP', 'never'],
  ['WRONG_TYPE', 'never'],
  ['TOO_LARGE', 'never'],
  ['PROTOCOL_ERROR', 'never'],
  ['NOT_LEADER', 'safe'],
  ['NO_LEADER', 'safe'],
  ['TIMEOUT', 'ambiguous'],
  ['UNAVAILABLE', 'safe'],
  ['PROPOSAL_DROPPED', 'safe'],
  ['IN_PROGRESS', 'safe'],
  ['NOT_CAUGHT_UP', 'safe'],
  ['SHUTTING_DOWN', 'safe'],
  ['CONNECTION_LOST', 'ambiguous'],
  ['SESSION_EXPIRED', 'never'],
  ['BAD_CONFIG', 'never'],
  ['BAD_FLAG', 'never'],
  ['CORRUPT_LOG', 'never'],
  ['NOAUTH', 'never'],
  ['WRONGPASS', 'never'],
  ['INTERNAL', 'never'],
];

t.test('every code is listed, UPPER_SNAKE, and maps to itself', async (t) => {
  t.same([...ERROR_CODES].sort(), TABLE.map(([c]) => c).sort());
  for (const code of ERROR_CODES) {
    t.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, code);
    t.equal(ErrorCode[code], code);
    t.ok(isErrorCode(code));
    t.type(ERROR_CODE_INFO[code].summary, 'string');
  }
});

t.test('RaftKvError per code: fields, retry class, JSON form, round trip', async (t) => {
  for (const [code, retry] of TABLE) {
    const err = new RaftKvError(code, `msg ${code}`, { leader: 2 });
    t.ok(err instanceof Error, code);
    t.ok(isRaftKvError(err));
    t.equal(err.name, 'RaftKvError');
    t.equal(err.code, code);
    t.equal(err.message, `msg ${code}`);
    t.equal(err.retry, retry, `${code} retry`);
    t.same(JSON.parse(JSON.stringify(err)), { code, message: `msg ${code}`, details: { leader: 2 } });
    const back = errorFromJson(JSON.parse(JSON.stringify(err)));
    t.equal(back.code, code);
    t.same(back.details, { leader: 2 });
  }
  t.notOk('details' in new RaftKvError('TIMEOUT', 'x').toJSON(), 'no details key when none');
});

t.test('toRaftKvError wraps foreign throwables as INTERNAL and keeps the cause', async (t) => {
  const cases: Array<[unknown, string]> = [
    [new TypeError('boom'), 'boom'],
    ['a string', 'a string'],
    [42, '42'],
    [undefined, 'undefined'],
    [null, 'null'],
  ];
  for (const [thrown, message] of cases) {
    const e = toRaftKvError(thrown);
    t.equal(e.code, 'INTERNAL');
    t.equal(e.message, message);
    t.equal(e.cause, thrown);
  }
  const own = new RaftKvError('NO_LEADER', 'x');
  t.equal(toRaftKvError(own), own, 'passes RaftKvErrors through');
});

t.test('errorFromJson never throws on garbage', async (t) => {
  const garbage: unknown[] = [null, 1, 'x', [], {}, { code: 'NOPE', message: 'm' }, { code: 7 }, { code: 'TIMEOUT', details: [1] }];
  for (const g of garbage) {
    const e = errorFromJson(g);
    t.ok(e instanceof RaftKvError, JSON.stringify(g));
  }
  t.equal(errorFromJson({ code: 'NOPE', message: 'm' }).code, 'INTERNAL');
  t.match(errorFromJson({ code: 'NOPE', message: 'm' }).message, /NOPE/);
  t.equal(errorFromJson({ code: 'TIMEOUT', details: [1] }).details, undefined);
  t.notOk(isErrorCode('toString'), 'prototype names are not codes');
  t.notOk(isErrorCode(undefined));
});
