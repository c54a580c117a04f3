import t from 'tap';
import { crc32 } from 'node:zlib';
import {
  RECORD_HEADER_BYTES,
  checkRecordShape,
  encodeRecords,
  framePayloads,
  scanRecords,
  type WalRecord,
} from '../../../src/node/storage/wal-record.js';
import { Prng } from '../../lib/prng.js';
import { entries, garbage } from './wal-test-helpers.js';

const sample: WalRecord[] = [
  { type: 'entries', entries: entries(1, 3, 1) },
  { type: 'hardState', term: 1, vote: 2, commit: 3 },
  { type: 'snapshot', index: 2, term: 1 },
  { type: 'entries', entries: [{ term: 2, index: 3, kind: 'noop' }] },
];

function scanAll(buf: Buffer) {
  const got: { record: WalRecord; offset: number }[] = [];
  const result = scanRecords(buf, (record, offset) => got.push({ record, offset }));
  return { got, result };
}

t.test('framing: length, CRC32 of the payload, UTF-8 JSON payload', async (t) => {
  const rec: WalRecord = { type: 'hardState', term: 5, vote: 1, commit: 4 };
  const buf = encodeRecords([rec]);
  const payload = buf.subarray(RECORD_HEADER_BYTES);
  t.equal(buf.readUInt32LE(0), payload.length);
  t.equal(buf.readUInt32LE(4), crc32(payload));
  t.same(JSON.parse(payload.toString('utf8')), rec);
});

t.test('round trip of every record kind, offsets reported', async (t) => {
  const buf = encodeRecords(sample);
  const { got, result } = scanAll(buf);
  t.same(got.map((g) => g.record), sample);
  t.equal(got[0]!.offset, 0);
  t.equal(got[1]!.offset, encodeRecords([sample[0]!]).length);
  t.same(result, { validBytes: buf.length, records: sample.length, end: { kind: 'clean' } });
});

t.test('empty buffer is a clean end', async (t) => {
  t.same(scanAll(Buffer.alloc(0)).result, { validBytes: 0, records: 0, end: { kind: 'clean' } });
});

t.test('framePayloads writes multi-byte UTF-8 lengths correctly', async (t) => {
  const buf = framePayloads(['"é€😀"', '1']);
  t.equal(buf.readUInt32LE(0), Buffer.byteLength('"é€😀"'));
  t.equal(buf.length, 2 * RECORD_HEADER_BYTES + Buffer.byteLength('"é€😀"') + 1);
});

t.test('a cut anywhere inside the last record is a torn tail at its start', async (t) => {
  const buf = encodeRecords(sample);
  const lastStart = encodeRecords(sample.slice(0, -1)).length;
  for (let cut = lastStart + 1; cut < buf.length; cut++) {
    const { got, result } = scanAll(buf.subarray(0, cut));
    t.equal(got.length, sample.length - 1, `cut ${cut}: records before the tail kept`);
    t.equal(result.end.kind, 'torn', `cut ${cut}: torn`);
    t.equal(result.validBytes, lastStart);
  }
});

t.test('a bad checksum on the last record is a torn tail; in the middle it is corruption', async (t) => {
  const buf = encodeRecords(sample);
  const lastStart = encodeRecords(sample.slice(0, -1)).length;
  const secondStart = encodeRecords(sample.slice(0, 1)).length;

  const tail = Buffer.from(buf);
  tail[lastStart + RECORD_HEADER_BYTES + 2]! ^= 0x01;
  const a = scanAll(tail).result;
  t.equal(a.end.kind, 'torn');
  t.equal(a.validBytes, lastStart);

  const mid = Buffer.from(buf);
  mid[secondStart + RECORD_HEADER_BYTES + 2]! ^= 0x01;
  const b = scanAll(mid).result;
  t.match(b.end, { kind: 'corrupt', offset: secondStart, reason: 'checksum mismatch' });
  t.equal(b.records, 1);
});

t.test('a flipped length field in the middle is corruption, not a torn tail', async (t) => {
  const buf = encodeRecords(sample);
  const secondStart = encodeRecords(sample.slice(0, 1)).length;
  for (const delta of [1, 0x100, 0x10000, 0x1000000]) {
    const b = Buffer.from(buf);
    b.writeUInt32LE(b.readUInt32LE(secondStart) ^ delta, secondStart);
    const r = scanAll(b).result;
    t.match(r.end, { kind: 'corrupt', offset: secondStart }, `length ^ ${delta}`);
  }
});

t.test('bad JSON and bad shapes with a valid checksum are rejected', async (t) => {
  const bad = ['', 'not json', '[]', 'null', '{"type":"nope"}', '{"type":"hardState","term":-1,"vote":0,"commit":0}'];
  for (const p of bad) {
    const r = scanAll(framePayloads([p])).result;
    t.equal(r.end.kind, 'torn', JSON.stringify(p));
    const mid = scanAll(Buffer.concat([framePayloads([p]), encodeRecords(sample)])).result;
    t.match(mid.end, { kind: 'corrupt', offset: 0 }, `${JSON.stringify(p)} before valid data`);
  }
});

t.test('checkRecordShape, table', async (t) => {
  const cases: [unknown, string | null][] = [
    [{ type: 'hardState', term: 1, vote: 0, commit: 0 }, null],
    [{ type: 'hardState', term: 1, vote: 0 }, 'malformed hardState record'],
    [{ type: 'hardState', term: 1.5, vote: 0, commit: 0 }, 'malformed hardState record'],
    [{ type: 'snapshot', index: 3, term: 1 }, null],
    [{ type: 'snapshot', index: '3', term: 1 }, 'malformed snapshot record'],
    [{ type: 'entries', entries: [{ term: 1, index: 1, kind: 'noop' }] }, null],
    [{ type: 'entries', entries: [] }, 'malformed entries record'],
    [{ type: 'entries', entries: {} }, 'malformed entries record'],
    [{ type: 'entries', entries: [null] }, 'malformed entry at position 0'],
    [{ type: 'entries', entries: [{ term: 1, index: 0, kind: 'cmd' }] }, 'malformed entry at position 0'],
    [{ type: 'entries', entries: [{ term: 1, index: 1, kind: 'weird' }] }, 'entry 1 has unknown kind'],
    [{ type: 'entries', entries: [{ term: 1, index: 1, kind: 'cmd' }, { term: 1, index: 3, kind: 'cmd' }] }, 'entry indices not consecutive at 3'],
    [[], 'payload is not an object'],
    ['x', 'payload is not an object'],
    [{ type: 42 }, 'unknown record type'],
  ];
  for (const [value, want] of cases) t.equal(checkRecordShape(value), want, JSON.stringify(value));
});

t.test('random garbage never yields a record and is a torn tail', async (t) => {
  const seed = Date.now() >>> 0;
  t.comment(`seed ${seed}`);
  const random = new Prng(seed).asFunction();
  for (let i = 0; i < 50; i++) {
    const g = garbage(1 + Math.floor(random() * 400), random);
    const r = scanAll(g);
    t.equal(r.got.length, 0);
    t.equal(r.result.end.kind, 'torn');
    // Garbage after valid records: the valid ones survive, the rest is a torn tail.
    const valid = encodeRecords(sample);
    const r2 = scanAll(Buffer.concat([valid, g])).result;
    t.equal(r2.records, sample.length);
    t.equal(r2.validBytes, valid.length);
    t.equal(r2.end.kind, 'torn');
  }
  // Zeros (a file extended but never written) look like empty payloads: torn, not corrupt.
  const z = scanAll(Buffer.concat([encodeRecords(sample), Buffer.alloc(4096)])).result;
  t.equal(z.end.kind, 'torn');
  t.equal(z.records, sample.length);
});

t.test('an exception from the callback aborts the scan', async (t) => {
  t.throws(() => scanRecords(encodeRecords(sample), () => {
    throw new Error('stop');
  }), /stop/);
});
