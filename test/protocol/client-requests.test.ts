import t from 'tap';
import {
  CLIENT_OPS,
  encodeJsonError,
  encodeJsonReply,
  encodeJsonRequest,
  isRead,
  isWrite,
  parseJsonReply,
  parseJsonRequest,
  type ClientRequest,
} from '../../src/protocol/client-requests.js';
import { RaftKvError } from '../../src/protocol/errors.js';

// [line, expected id, expected request]
const GOOD: Array<[string, unknown, ClientRequest]> = [
  ['{"id":7,"op":"get","key":"k"}', 7, { op: 'get', key: 'k' }],
  ['{"id":"x","op":"get","key":"","consistency":"stale"}', 'x', { op: 'get', key: '', consistency: 'stale' }],
  ['{"op":"get","key":"k"}', null, { op: 'get', key: 'k' }],
  ['{"id":null,"op":"get","key":"k"}', null, { op: 'get', key: 'k' }],
  ['{"id":8,"op":"set","key":"k","value":"v"}', 8, { op: 'set', key: 'k', value: 'v' }],
  ['{"id":1,"op":"set","key":"k","value":"v","clientId":"c1","seq":0}', 1, { op: 'set', key: 'k', value: 'v', clientId: 'c1', seq: 0 }],
  ['{"id":9,"op":"del","key":"k"}', 9, { op: 'del', keys: ['k'] }],
  ['{"id":9,"op":"del","keys":["a","b"]}', 9, { op: 'del', keys: ['a', 'b'] }],
  ['{"id":10,"op":"cas","key":"k","expected":"v","value":"w"}', 10, { op: 'cas', key: 'k', expected: 'v', value: 'w' }],
  ['{"id":10,"op":"cas","key":"k","expected":null,"value":"w"}', 10, { op: 'cas', key: 'k', expected: null, value: 'w' }],
  ['{"op":"exists","keys":["a","a"],"consistency":"lease"}', null, { op: 'exists', keys: ['a', 'a'], consistency: 'lease' }],
  ['{"op":"exists","key":"a"}', null, { op: 'exists', keys: ['a'] }],
  ['{"op":"keys","pattern":"user:*"}', null, { op: 'keys', pattern: 'user:*' }],
  ['{"op":"keys"}', null, { op: 'keys', pattern: '*' }],
  ['{"id":11,"op":"status"}', 11, { op: 'status' }],
  ['{"op":"ping"}', null, { op: 'ping' }],
  ['{"op":"ping","message":"hi"}', null, { op: 'ping', message: 'hi' }],
  ['{"op":"info","section":"server raft"}', null, { op: 'info', section: 'server raft' }],
  ['{"op":"entries"}', null, { op: 'entries', limit: 20 }],
  ['{"op":"entries","limit":1000}', null, { op: 'entries', limit: 1000 }],
  ['{"op":"get","key":"k","extra":"ignored"}', null, { op: 'get', key: 'k' }],
  ['  {"id":1.5,"op":"status"}  ', 1.5, { op: 'status' }],
  ['{"op":"set","key":"ключ","value":"😀\\u0000"}', null, { op: 'set', key: 'ключ', value: '😀\u0000' }],
];

t.test('valid requests', async (t) => {
  for (const [line, id, req] of GOOD) {
    const r = parseJsonRequest(line);
    t.same(r, { ok: true, id, req }, line);
  }
});

// [line, expected id, code, message pattern]
const BAD: Array<[string, unknown, string, RegExp]> = [
  ['', null, 'BAD_REQUEST', /malformed JSON/],
  ['{', null, 'BAD_REQUEST', /malformed JSON/],
  ['{"op":"get",}', null, 'BAD_REQUEST', /malformed JSON/],
  ['\u0000\u00ff\ufffd', null, 'BAD_REQUEST', /malformed JSON/],
  ['null', null, 'BAD_REQUEST', /must be a JSON object, got null/],
  ['[1,2]', null, 'BAD_REQUEST', /got an array/],
  ['"get"', null, 'BAD_REQUEST', /got a string/],
  ['42', null, 'BAD_REQUEST', /got a number/],
  ['{"id":{},"op":"get","key":"k"}', null, 'BAD_REQUEST', /'id' must be a number or a string/],
  ['{"id":true,"op":"get","key":"k"}', null, 'BAD_REQUEST', /'id'/],
  ['{"id":1e400,"op":"get","key":"k"}', null, 'BAD_REQUEST', /'id'/],
  ['{"id":3}', 3, 'BAD_REQUEST', /'op' is required/],
  ['{"id":3,"op":5}', 3, 'BAD_REQUEST', /'op' must be a string, got a number/],
  ['{"id":3,"op":"frobnicate"}', 3, 'UNKNOWN_OP', /unknown op 'frobnicate'/],
  ['{"id":3,"op":"constructor"}', 3, 'UNKNOWN_OP', /unknown op/],
  ['{"id":3,"op":"GET","key":"k"}', 3, 'UNKNOWN_OP', /unknown op 'GET'/],
  ['{"id":4,"op":"get"}', 4, 'BAD_REQUEST', /'key' is required/],
  ['{"id":4,"op":"get","key":5}', 4, 'BAD_REQUEST', /'key' must be a string, got a number/],
  ['{"id":4,"op":"get","key":null}', 4, 'BAD_REQUEST', /'key' must be a string, got null/],
  ['{"id":4,"op":"get","key":["k"]}', 4, 'BAD_REQUEST', /'key' must be a string, got an array/],
  ['{"id":4,"op":"get","key":"k","consistency":"strong"}', 4, 'BAD_REQUEST', /'consistency' must be one of/],
  ['{"id":5,"op":"set","key":"k"}', 5, 'BAD_REQUEST', /'value' is required/],
  ['{"id":5,"op":"set","key":"k","value":1}', 5, 'BAD_REQUEST', /'value' must be a string, got a number/],
  ['{"id":5,"op":"set","key":"k","value":{"a":1}}', 5, 'BAD_REQUEST', /'value' must be a string, got an object/],
  ['{"id":5,"op":"set","key":"k","value":"v","clientId":"c"}', 5, 'BAD_REQUEST', /'clientId' and 'seq' go together/],
  ['{"id":5,"op":"set","key":"k","value":"v","seq":1}', 5, 'BAD_REQUEST', /go together/],
  ['{"id":5,"op":"set","key":"k","value":"v","clientId":"","seq":1}', 5, 'BAD_REQUEST', /'clientId' must not be empty/],
  ['{"id":5,"op":"set","key":"k","value":"v","clientId":"c","seq":-1}', 5, 'BAD_REQUEST', /'seq' must be a non-negative integer/],
  ['{"id":5,"op":"set","key":"k","value":"v","clientId":"c","seq":1.5}', 5, 'BAD_REQUEST', /'seq'/],
  ['{"id":5,"op":"set","key":"k","value":"v","clientId":"c","seq":"1"}', 5, 'BAD_REQUEST', /'seq'/],
  ['{"id":5,"op":"set","key":"k","value":"v","clientId":7,"seq":1}', 5, 'BAD_REQUEST', /'clientId' must be a string/],
  ['{"id":6,"op":"del"}', 6, 'BAD_REQUEST', /'keys' \(or 'key'\) is required/],
  ['{"id":6,"op":"del","keys":[]}', 6, 'BAD_REQUEST', /must not be empty/],
  ['{"id":6,"op":"del","keys":"k"}', 6, 'BAD_REQUEST', /'keys' must be an array of strings/],
  ['{"id":6,"op":"del","keys":["a",2]}', 6, 'BAD_REQUEST', /'keys\[1\]' must be a string/],
  ['{"id":6,"op":"del","key":"a","keys":["b"]}', 6, 'BAD_REQUEST', /either field 'key' or field 'keys'/],
  ['{"id":7,"op":"cas","key":"k","value":"w"}', 7, 'BAD_REQUEST', /'expected' is required \(null means/],
  ['{"id":7,"op":"cas","key":"k","expected":1,"value":"w"}', 7, 'BAD_REQUEST', /'expected' must be a string or null/],
  ['{"id":7,"op":"cas","key":"k","expected":"v"}', 7, 'BAD_REQUEST', /'value' is required/],
  ['{"op":"keys","pattern":1}', null, 'BAD_REQUEST', /'pattern' must be a string/],
  ['{"op":"ping","message":{}}', null, 'BAD_REQUEST', /'message' must be a string/],
  ['{"op":"info","section":[]}', null, 'BAD_REQUEST', /'section' must be a string/],
  ['{"op":"entries","limit":0}', null, 'BAD_REQUEST', /'limit' must be an integer from 1 to 1000/],
  ['{"op":"entries","limit":1001}', null, 'BAD_REQUEST', /'limit'/],
  ['{"op":"entries","limit":2.5}', null, 'BAD_REQUEST', /'limit'/],
  ['{"op":"entries","limit":"5"}', null, 'BAD_REQUEST', /'limit'/],
  ['{"__proto__":{"op":"get"},"key":"k"}', null, 'BAD_REQUEST', /'op' is required/],
];

t.test('invalid requests: the right code, a message naming the field, the id echoed', async (t) => {
  for (const [line, id, code, message] of BAD) {
    const r = parseJsonRequest(line);
    t.equal(r.ok, false, line);
    if (r.ok) continue;
    t.equal(r.id, id, `${line} id`);
    t.ok(r.error instanceof RaftKvError);
    t.equal(r.error.code, code, `${line} code`);
    t.match(r.error.message, message, `${line} message`);
  }
});

t.test('random garbage never throws', async (t) => {
  let s = 7;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
  const bits = ['{', '}', '"op"', ':', '"get"', '"key"', ',', '[', ']', 'null', '1', '"', '\\', 'true', '"id"'];
  let ok = 0;
  for (let i = 0; i < 1000; i++) {
    let line = '';
    for (let j = 0; j < 10; j++) line += bits[Math.floor(rand() * bits.length)];
    const r = parseJsonRequest(line);
    if (r.ok) ok++;
    else if (!(r.error instanceof RaftKvError)) t.fail(`not a RaftKvError for ${line}`);
  }
  t.pass(`1000 random lines, ${ok} valid, the rest refused with a RaftKvError`);
});

t.test('isWrite / isRead', async (t) => {
  const writes = new Set(['set', 'del', 'cas']);
  const reads = new Set(['get', 'exists', 'keys']);
  for (const op of CLIENT_OPS) {
    const r = parseJsonRequest(JSON.stringify({ op, key: 'k', value: 'v', expected: null, password: 'p', nodeId: 4, host: 'h', port: 1, peerPort: 2 }));
    t.ok(r.ok, op);
    if (!r.ok) continue;
    t.equal(isWrite(r.req), writes.has(op), `isWrite ${op}`);
    t.equal(isRead(r.req), reads.has(op), `isRead ${op}`);
  }
});

t.test('replies: one line each, newline-terminated, DESIGN shapes', async (t) => {
  t.equal(encodeJsonReply(7, 'v'), '{"id":7,"ok":true,"value":"v"}\n');
  t.equal(encodeJsonReply(7, null), '{"id":7,"ok":true,"value":null}\n');
  t.equal(encodeJsonReply('a', undefined), '{"id":"a","ok":true,"value":null}\n');
  t.equal(encodeJsonReply(null, 'multi\nline'), '{"id":null,"ok":true,"value":"multi\\nline"}\n');
  t.equal(encodeJsonReply(10, true), '{"id":10,"ok":true,"value":true}\n');
  t.equal(
    encodeJsonError(3, new RaftKvError('NOT_LEADER', 'leader is 2', { leader: 2 })),
    '{"id":3,"ok":false,"error":{"code":"NOT_LEADER","message":"leader is 2","details":{"leader":2}}}\n',
  );
  t.equal(encodeJsonError(null, new Error('oops')), '{"id":null,"ok":false,"error":{"code":"INTERNAL","message":"oops"}}\n');
  t.equal(encodeJsonRequest(1, { op: 'get', key: 'k' }), '{"id":1,"op":"get","key":"k"}\n');
  for (const line of [encodeJsonReply(1, 'a\u2028b'), encodeJsonError(1, new RaftKvError('TIMEOUT', 'x\ny'))]) {
    t.equal(line.indexOf('\n'), line.length - 1, 'exactly one newline, at the end');
  }
});

t.test('parseJsonReply (client side)', async (t) => {
  t.same(parseJsonReply('{"id":7,"ok":true,"value":"v"}'), { id: 7, ok: true, value: 'v' });
  t.same(parseJsonReply('{"id":7,"ok":true}'), { id: 7, ok: true, value: null });
  const e = parseJsonReply(encodeJsonError('q', new RaftKvError('NO_LEADER', 'none')).trim());
  t.equal(e.ok, false);
  if (!e.ok) {
    t.equal(e.id, 'q');
    t.equal(e.error.code, 'NO_LEADER');
    t.equal(e.error.message, 'none');
  }
  for (const bad of ['', 'nope', '[]', '{"id":1}', '{"ok":"yes"}']) {
    t.throws(() => parseJsonReply(bad), { code: 'PROTOCOL_ERROR' }, JSON.stringify(bad));
  }
  const odd = parseJsonReply('{"id":1,"ok":false,"error":"text"}');
  t.equal(odd.ok === false && odd.error.code, 'INTERNAL');
});

t.test('request -> line -> parse round trip', async (t) => {
  for (const [, , req] of GOOD) {
    const r = parseJsonRequest(encodeJsonRequest(5, req).trimEnd());
    t.same(r, { ok: true, id: 5, req });
  }
});
