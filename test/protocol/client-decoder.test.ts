import { spawnSync } from 'node:child_process';
import t from 'tap';
import { ClientRequestDecoder, parseRedisInteger, type ClientDecoderOptions, type DecodedRequest } from '../../src/protocol/client-decoder.js';
import { encodeCommand } from '../../src/protocol/resp.js';

/** Compact, comparable form of decoder output. */
type Row = string[] | [string, string, string, string, boolean];
function rows(out: DecodedRequest[]): Row[] {
  return out.map((d) => {
    if (d.kind === 'json') return ['json', d.line];
    if (d.kind === 'argv') return [d.dialect, ...d.argv];
    return ['error', d.dialect, d.error.code, d.error.message, d.fatal];
  });
}

function decode(input: string | Buffer | Array<string | Buffer>, options?: ClientDecoderOptions): Row[] {
  const dec = new ClientRequestDecoder(options);
  const chunks = Array.isArray(input) ? input : [input];
  return chunks.flatMap((c) => rows(dec.push(typeof c === 'string' ? Buffer.from(c) : c)));
}

const PROTO = (m: string): Row => ['error', 'resp', 'PROTOCOL_ERROR', `Protocol error: ${m}`, true];

// [title, input, expected rows]
const TABLE: Array<[string, string | Buffer, Row[]]> = [
  ['inline CRLF', 'PING\r\n', [['inline', 'PING']]],
  ['inline LF', 'PING\n', [['inline', 'PING']]],
  ['inline without newline waits', 'PING', []],
  ['empty lines run nothing', '\r\n\n\r\n', []],
  ['blank line runs nothing', '   \t \r\n', []],
  ['inline quoting', 'SET k "a b"\r\nGET k\r\n', [['inline', 'SET', 'k', 'a b'], ['inline', 'GET', 'k']]],
  ['only one trailing CR dropped', 'GET k\r\r\n', [['inline', 'GET', 'k']]],
  ['JSON line, CR dropped', '{"id":1,"op":"get","key":"k"}\r\n', [['json', '{"id":1,"op":"get","key":"k"}']]],
  ['broken JSON is still a JSON line', '{"bad json\n', [['json', '{"bad json']]],
  ['JSON with a leading blank is inline', ' {}\n', [['inline', '{}']]],
  [
    '...so quoted JSON fields make it an unbalanced inline line, as in Redis',
    ' {"op":"status"}\n',
    [['error', 'inline', 'PROTOCOL_ERROR', 'Protocol error: unbalanced quotes in request', true]],
  ],
  ['multibulk', '*1\r\n$4\r\nPING\r\n', [['resp', 'PING']]],
  ['multibulk UTF-8 (length in bytes)', '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n', [['resp', 'SET', 'k', 'é']]],
  ['multibulk with bare LF (typed into nc)', '*1\n$4\nPING\n', [['resp', 'PING']]],
  ['binary-safe bulk', '*2\r\n$3\r\nGET\r\n$4\r\n\r\n\r\n\r\n', [['resp', 'GET', '\r\n\r\n']]],
  ['bulk holding * and {', '*2\r\n$1\r\n*\r\n$1\r\n{\r\n', [['resp', '*', '{']]],
  ['empty bulk', '*2\r\n$3\r\nGET\r\n$0\r\n\r\n', [['resp', 'GET', '']]],
  ['*0 runs nothing', '*0\r\nPING\r\n', [['inline', 'PING']]],
  ['*-1 runs nothing', '*-1\r\nPING\r\n', [['inline', 'PING']]],
  ['*-5 runs nothing (Redis)', '*-5\r\nPING\r\n', [['inline', 'PING']]],
  [
    'mixed dialects, pipelined, in order',
    'PING\r\n{"op":"status"}\n*1\r\n$4\r\nPING\r\nECHO x\n',
    [['inline', 'PING'], ['json', '{"op":"status"}'], ['resp', 'PING'], ['inline', 'ECHO', 'x']],
  ],
  ['* alone', '*\r\n', [PROTO('invalid multibulk length')]],
  ['*abc', '*abc\r\n', [PROTO('invalid multibulk length')]],
  ['*+1', '*+1\r\n', [PROTO('invalid multibulk length')]],
  ['*01', '*01\r\n', [PROTO('invalid multibulk length')]],
  ['* 1', '* 1\r\n', [PROTO('invalid multibulk length')]],
  ['*1 ', '*1 \r\n', [PROTO('invalid multibulk length')]],
  ['*-0', '*-0\r\n', [PROTO('invalid multibulk length')]],
  ['too many args', '*1048577\r\n', [PROTO('invalid multibulk length')]],
  ['absurd count', '*99999999999999999999\r\n', [PROTO('invalid multibulk length')]],
  ['no $', '*1\r\nPING\r\n', [PROTO("expected '$', got 'P'")]],
  ['$ line is a different type', '*1\r\n:4\r\n', [PROTO("expected '$', got ':'")]],
  ['$-1 in a request', '*1\r\n$-1\r\n', [PROTO('invalid bulk length')]],
  ['$abc', '*1\r\n$abc\r\n', [PROTO('invalid bulk length')]],
  ['$ empty', '*1\r\n$\r\n', [PROTO('invalid bulk length')]],
  ['bulk over 1 MiB', '*1\r\n$1048577\r\n', [PROTO('invalid bulk length')]],
  ['absurd bulk', '*1\r\n$18446744073709551616\r\n', [PROTO('invalid bulk length')]],
  ['bulk longer than said', '*1\r\n$3\r\nabcd\r\n', [PROTO('bulk data not followed by CRLF')]],
  ['CR then garbage after bulk', '*1\r\n$3\r\nabc\rX', [PROTO('bulk data not followed by CRLF')]],
  [
    'requests before a fatal error come out first; nothing after',
    'PING\r\n*1\r\nX\r\nPING\r\n',
    [['inline', 'PING'], PROTO("expected '$', got 'X'")],
  ],
  [
    'unbalanced quotes close the connection (Redis)',
    'SET k "v\r\nPING\r\n',
    [['error', 'inline', 'PROTOCOL_ERROR', 'Protocol error: unbalanced quotes in request', true]],
  ],
  ['closing quote glued to a word', 'SET k "v"w\r\n', [['error', 'inline', 'PROTOCOL_ERROR', 'Protocol error: unbalanced quotes in request', true]]],
  ['NUL ends an inline line (C string)', 'GET k\0junk\r\n', [['inline', 'GET', 'k']]],
  ['non-UTF-8 inline bytes become U+FFFD', Buffer.from('GET \xff\r\n', 'latin1'), [['inline', 'GET', '\ufffd']]],
  ['non-UTF-8 bulk bytes become U+FFFD', Buffer.from('*1\r\n$2\r\n\xff\xfe\r\n', 'latin1'), [['resp', '\ufffd\ufffd']]],
];

t.test('decoder table', async (t) => {
  for (const [title, input, want] of TABLE) {
    t.same(decode(input), want, title);
  }
});

t.test('after a fatal error the decoder ignores input', async (t) => {
  const dec = new ClientRequestDecoder();
  t.same(rows(dec.push(Buffer.from('*x\r\n'))), [PROTO('invalid multibulk length')]);
  t.ok(dec.closed);
  t.same(dec.push(Buffer.from('PING\r\n')), []);
  t.equal(dec.bufferedBytes, 0);
  t.notOk(dec.inProgress);
});

const REQUESTS: Buffer[] = [
  encodeCommand(['SET', 'key:é', 'välue\r\nwith CRLF']),
  Buffer.from('GET "key:\\xc3\\xa9"\r\n'),
  Buffer.from('{"id":"a","op":"cas","key":"k","expected":null,"value":"日本"}\n'),
  encodeCommand(['DEL', 'a', 'b', '']),
  Buffer.from('*0\r\n'),
  encodeCommand(['PING']),
];
const STREAM = Buffer.concat(REQUESTS);
const WANT = decode(STREAM);

t.test('the whole stream decodes as expected', async (t) => {
  t.same(WANT, [
    ['resp', 'SET', 'key:é', 'välue\r\nwith CRLF'],
    ['inline', 'GET', 'key:é'],
    ['json', '{"id":"a","op":"cas","key":"k","expected":null,"value":"日本"}'],
    ['resp', 'DEL', 'a', 'b', ''],
    ['resp', 'PING'],
  ]);
});

t.test('split at every byte boundary gives the same requests', async (t) => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    t.same(decode([STREAM.subarray(0, cut), STREAM.subarray(cut)]), WANT, `cut at ${cut}`);
  }
});

t.test('split at every pair of boundaries (one RESP request)', async (t) => {
  const req = REQUESTS[0]!;
  const want = decode(req);
  let same = 0;
  let total = 0;
  for (let i = 0; i <= req.length; i++) {
    for (let j = i; j <= req.length; j++) {
      total++;
      const got = decode([req.subarray(0, i), req.subarray(i, j), req.subarray(j)]);
      if (JSON.stringify(got) === JSON.stringify(want)) same++;
      else t.same(got, want, `cuts at ${i}, ${j}`);
    }
  }
  t.equal(same, total, `${total} three-way splits`);
});

t.test('byte by byte', async (t) => {
  const dec = new ClientRequestDecoder();
  const got: Row[] = [];
  for (const b of STREAM) got.push(...rows(dec.push(Buffer.from([b]))));
  t.same(got, WANT);
  t.equal(dec.bufferedBytes, 0);
  t.notOk(dec.inProgress);
});

t.test('inline limit: 64 KiB, Redis wording, fatal, never buffers past it', async (t) => {
  const tooBig = ['error', 'inline', 'PROTOCOL_ERROR', 'Protocol error: too big inline request', true];
  const max = 64 * 1024;
  // The rule: at most 64 KiB before the LF, the CR included; the same cut however the bytes arrive.
  t.same(decode('a'.repeat(max - 1) + '\r\n'), [['inline', 'a'.repeat(max - 1)]], '64 KiB with the CR');
  t.same(decode(['a'.repeat(max - 1), '\r', '\n']), [['inline', 'a'.repeat(max - 1)]], 'also when the CRLF comes later');
  t.same(decode('a'.repeat(max) + '\n'), [['inline', 'a'.repeat(max)]], '64 KiB and a bare LF');
  t.same(decode('a'.repeat(max) + '\r\n'), [tooBig], 'one byte more, whole');
  t.same(decode(['a'.repeat(max), '\r\n']), [tooBig], 'one byte more, split');
  t.same(decode('a'.repeat(max)), [], '64 KiB without a newline waits (Redis: error only past 64 KiB)');
  t.same(decode('a'.repeat(max + 1)), [tooBig], 'one byte more without a newline');
  const dec = new ClientRequestDecoder();
  let out: Row[] = [];
  let maxBuffered = 0;
  for (let i = 0; i < 100 && out.length === 0; i++) {
    out = rows(dec.push(Buffer.alloc(4096, 0x61)));
    maxBuffered = Math.max(maxBuffered, dec.bufferedBytes);
  }
  t.same(out, [tooBig], 'streamed without newline');
  t.ok(maxBuffered <= max, `buffered at most ${maxBuffered} bytes`);
  t.ok(dec.closed);
});

t.test('length lines are bounded too', async (t) => {
  t.same(decode('*' + '1'.repeat(70_000)), [PROTO('too big mbulk count string')]);
  t.same(decode('*1\r\n$' + '1'.repeat(70_000)), [PROTO('too big bulk count string')]);
  t.same(decode('*1\r\n' + 'x'.repeat(70_000)), [PROTO('too big bulk count string')], 'garbage where a $ line belongs');
});

t.test('JSON lines over the limit are TOO_LARGE and fatal', async (t) => {
  const opts = { maxJsonBytes: 100 };
  const line = '{"op":"set","key":"k","value":"' + 'v'.repeat(200) + '"}';
  const err = ['error', 'json', 'TOO_LARGE', 'JSON request line longer than 100 bytes', true];
  t.same(decode(line + '\n', opts), [err], 'whole line in one chunk');
  t.same(decode([line.slice(0, 50), line.slice(50)], opts), [err], 'no newline yet');
  t.same(decode('{' + 'x'.repeat(98) + '\r\n', opts), [['json', '{' + 'x'.repeat(98)]], 'exactly at the limit');
  t.same(decode('{' + 'x'.repeat(99) + '\r\n', opts), [err], 'one byte over');
  t.equal(new ClientRequestDecoder().maxJsonBytes, 4 * 1024 * 1024, 'default: 4 x maxBulkBytes');
});

t.test('configurable bulk and request limits', async (t) => {
  const opts = { maxBulkBytes: 10, maxRequestBytes: 40 };
  t.same(decode(encodeCommand(['SET', 'k', 'x'.repeat(10)]), opts), [['resp', 'SET', 'k', 'x'.repeat(10)]]);
  t.same(decode(encodeCommand(['SET', 'k', 'x'.repeat(11)]), opts), [PROTO('invalid bulk length')]);
  t.same(decode(encodeCommand(['DEL', 'a'.repeat(10), 'b'.repeat(10), 'c'.repeat(10)]), opts), [
    ['error', 'resp', 'TOO_LARGE', 'Protocol error: request larger than 40 bytes', true],
  ]);
  t.same(decode('*3\r\n', { maxArgs: 2 }), [PROTO('invalid multibulk length')]);
  t.throws(() => new ClientRequestDecoder({ maxBulkBytes: 0 }), { code: 'BAD_CONFIG' });
  t.throws(() => new ClientRequestDecoder({ maxArgs: 1.5 }), { code: 'BAD_CONFIG' });
});

t.test('a 1 MiB bulk in 1000-byte chunks', async (t) => {
  const value = Buffer.alloc(1024 * 1024, 0x7a);
  const wire = encodeCommand(['SET', 'k', value]);
  const dec = new ClientRequestDecoder();
  const got: Row[] = [];
  for (let i = 0; i < wire.length; i += 1000) got.push(...rows(dec.push(wire.subarray(i, i + 1000))));
  t.equal(got.length, 1);
  t.equal(got[0]![3]!.length, value.length);
  t.equal(dec.bufferedBytes, 0);
});

t.test('garbage: any chunking gives the same result, nothing throws, memory stays bounded', async (t) => {
  const seed = Number(process.env.FUZZ_SEED ?? 20240601);
  let s = seed;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
  const pieces = [
    '*', '$', '{', '\r\n', '\n', '\r', '"', "'", '\\', ' ', '1', '2', '-1', '0', 'PING', 'x', '\0', '\xff', '3\r\n', '*1\r\n$4\r\nPING\r\n',
  ];
  const opts = { maxInlineBytes: 64, maxBulkBytes: 16, maxArgs: 8, maxJsonBytes: 64, maxRequestBytes: 128 };
  let fatal = 0;
  for (let round = 0; round < 500; round++) {
    const parts: Buffer[] = [];
    const n = 1 + Math.floor(rand() * 30);
    for (let i = 0; i < n; i++) {
      parts.push(rand() < 0.2 ? Buffer.from([Math.floor(rand() * 256)]) : Buffer.from(pieces[Math.floor(rand() * pieces.length)]!, 'latin1'));
    }
    const input = Buffer.concat(parts);
    const whole = decode(input, opts);
    // Random chunking of the same bytes.
    const dec = new ClientRequestDecoder(opts);
    const got: Row[] = [];
    for (let i = 0; i < input.length; ) {
      const len = 1 + Math.floor(rand() * 8);
      got.push(...rows(dec.push(input.subarray(i, i + len))));
      if (dec.bufferedBytes > 200) t.fail(`buffered ${dec.bufferedBytes} bytes (seed ${seed}, round ${round})`);
      i += len;
    }
    if (JSON.stringify(got) !== JSON.stringify(whole)) t.same(got, whole, `seed ${seed} round ${round}: ${JSON.stringify(input.toString('latin1'))}`);
    if (whole.some((r) => r[0] === 'error')) fatal++;
  }
  t.pass(`seed ${seed}: 500 random streams, ${fatal} ended in a protocol error, chunking never mattered`);
});

t.test('parseRedisInteger is string2ll', async (t) => {
  const cases: Array<[string, number | null]> = [
    ['0', 0], ['1', 1], ['-1', -1], ['123', 123], ['', null], ['-', null], ['-0', null], ['01', null], ['+1', null],
    [' 1', null], ['1 ', null], ['1a', null], ['9223372036854775807', 9223372036854775807], ['9223372036854775808', null],
    ['-9223372036854775808', -9223372036854775808], ['123456789012345678901', null],
  ];
  for (const [text, want] of cases) {
    const b = Buffer.from(text);
    t.equal(parseRedisInteger(b, 0, b.length), want, JSON.stringify(text));
  }
});

t.test('partialDialect names the dialect of a request cut short', async (t) => {
  for (const [input, dialect] of [['{"op":"ge', 'json'], ['*2\r\n$3\r\nGET\r\n', 'resp'], ['GET ke', 'inline']] as const) {
    const d = new ClientRequestDecoder();
    d.push(Buffer.from(input));
    t.ok(d.inProgress, `${dialect}: in progress`);
    t.equal(d.partialDialect, dialect);
  }
});

t.test('an unfinished line sent one byte at a time costs memory in proportion to its bytes', async (t) => {
  // Before: every 1-byte chunk was kept as its own Buffer (~150 bytes of heap each). Measured in a
  // child with --expose-gc, so garbage does not blur the number.
  const decoderUrl = new URL('../../src/protocol/client-decoder.js', import.meta.url).href;
  const script = `
    const { ClientRequestDecoder } = await import(${JSON.stringify(decoderUrl)});
    const used = () => { gc(); gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
    // A JSON line and a RESP bulk, each still short of its end.
    const decoders = [new ClientRequestDecoder(), new ClientRequestDecoder()];
    const before = used();
    decoders[0].push(Buffer.from('{'));
    decoders[1].push(Buffer.from('*1\\r\\n$999999\\r\\n'));
    for (const d of decoders) for (let k = 0; k < ${PER_DECODER}; k++) d.push(Buffer.from('a'));
    const grown = used() - before;
    const buffered = decoders[1].bufferedBytes;
    const out = decoders[0].push(Buffer.from('\\n'));
    console.log(JSON.stringify({ grown, buffered, line: out[0].line.length }));`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const { grown, buffered, line } = JSON.parse(r.stdout);
  const held = 2 * PER_DECODER;
  t.comment(`${(grown / 1024 / 1024).toFixed(2)} MiB for ${held} bytes held (${(grown / held).toFixed(1)} per byte)`);
  t.ok(grown < 4 * held, 'at most a few bytes of memory per byte held');
  t.equal(buffered, PER_DECODER);
  t.equal(line, PER_DECODER + 1, 'the line still decodes whole once its newline comes');
});
const PER_DECODER = 300_000;
