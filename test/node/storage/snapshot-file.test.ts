import t, { type Test } from 'tap';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { readSnapshotFile, SnapshotFileError, writeSnapshotFile } from '../../../src/node/storage/snapshot-file.js';
import { tempDir } from './wal-test-helpers.js';
import { snapshotHeader, awkwardPairs } from './snapshot-test-helpers.js';

const refused = async (t: Test, file: string, why: RegExp) => {
  await t.rejects(readSnapshotFile(file), SnapshotFileError);
  await t.rejects(readSnapshotFile(file), { code: 'BAD_SNAPSHOT_FILE', message: why });
};

t.test('round trip: 0, 1 and 5,000 keys (unicode, newlines, quotes) read back exactly', async (t) => {
  const dir = await tempDir(t);
  for (const n of [0, 1, 5000]) {
    const pairs = awkwardPairs(n);
    const file = path.join(dir, `rt-${n}.snap`);
    const header = snapshotHeader(40 + n, 3, n);
    const size = await writeSnapshotFile(file, header, pairs);
    t.equal(size, (await fsp.stat(file)).size, `size returned for ${n} keys`);
    const back = await readSnapshotFile(file);
    t.same(back.header, header, `header of ${n} keys`);
    t.same(back.pairs, pairs, `pairs of ${n} keys`);
  }
});

t.test('writeSnapshotFile refuses to overwrite an existing file', async (t) => {
  const file = path.join(await tempDir(t), 'x.snap');
  await fsp.writeFile(file, 'old');
  await t.rejects(writeSnapshotFile(file, snapshotHeader(1, 1, 0), []), { code: 'EEXIST' });
  t.equal(await fsp.readFile(file, 'utf8'), 'old');
});

/** A valid 3-key snapshot file's bytes, to damage. */
async function sampleFile(t: Test): Promise<{ dir: string; buf: Buffer }> {
  const dir = await tempDir(t);
  const whole = path.join(dir, 'whole.snap');
  await writeSnapshotFile(whole, snapshotHeader(9, 2, 3), awkwardPairs(3));
  return { dir, buf: await fsp.readFile(whole) };
}

t.test('a file truncated at any byte is refused with SnapshotFileError', async (t) => {
  const { dir, buf } = await sampleFile(t);
  const cut = path.join(dir, 'cut.snap');
  let refusedCount = 0;
  for (let n = 0; n < buf.length; n++) {
    await fsp.writeFile(cut, buf.subarray(0, n));
    try {
      await readSnapshotFile(cut);
    } catch (err) {
      if (err instanceof SnapshotFileError) refusedCount++;
    }
  }
  t.equal(refusedCount, buf.length, `all ${buf.length} truncations refused`);
});

t.test('a flipped byte anywhere is refused', async (t) => {
  const { dir, buf } = await sampleFile(t);
  const bad = path.join(dir, 'bad.snap');
  const accepted: number[] = [];
  for (let i = 0; i < buf.length; i++) {
    const copy = Buffer.from(buf);
    copy[i] = copy[i]! ^ 0x01;
    await fsp.writeFile(bad, copy);
    try {
      await readSnapshotFile(bad);
      accepted.push(i);
    } catch (err) {
      if (!(err instanceof SnapshotFileError)) throw err;
    }
  }
  t.same(accepted, [], `every one of ${buf.length} flips refused`);
});

t.test('missing or garbled trailer', async (t) => {
  const dir = await tempDir(t);
  const whole = path.join(dir, 'whole.snap');
  await writeSnapshotFile(whole, snapshotHeader(5, 1, 2), awkwardPairs(2));
  const text = await fsp.readFile(whole, 'utf8');
  const lines = text.split('\n').slice(0, -1);
  const body = lines.slice(0, -1).map((l) => `${l}\n`).join('');
  const f = path.join(dir, 'f.snap');

  await fsp.writeFile(f, body);
  await refused(t, f, /trailer/); // no trailer: the last line is a data line
  await fsp.writeFile(f, `${body}{"end":\n`);
  await refused(t, f, /not a trailer/);
  await fsp.writeFile(f, `${body}${lines.at(-1)}`); // no final newline
  await refused(t, f, /no complete trailer line/);
  await fsp.writeFile(f, `${body}{"end":{"bytes":${Buffer.byteLength(body) - 1},"crc32":0}}\n`);
  await refused(t, f, /trailer does not match/);
  await fsp.writeFile(f, `${body}{"end":{"bytes":${Buffer.byteLength(body)},"crc32":"x"}}\n`);
  await refused(t, f, /trailer does not match/);
  await fsp.writeFile(f, `${body}{"end":{"bytes":${Buffer.byteLength(body)},"crc32":12345}}\n`);
  await refused(t, f, /checksum mismatch/);
  await fsp.writeFile(f, '');
  await refused(t, f, /no complete trailer/);
});

/** Writes raw lines as a file with a correct trailer, so only the content is wrong. */
async function withTrailer(file: string, lines: string[]): Promise<void> {
  const body = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
  await fsp.writeFile(file, Buffer.concat([body, Buffer.from(`${JSON.stringify({ end: { bytes: body.length, crc32: crc32(body) } })}\n`)]));
}

t.test('a well-checksummed file with wrong contents is refused: header/keys mismatch, wrong format', async (t) => {
  const f = path.join(await tempDir(t), 'f.snap');
  const h = snapshotHeader(7, 2, 2);
  const data = JSON.stringify([['a', '1'], ['b', '2']]);
  await withTrailer(f, [JSON.stringify(h), data]);
  t.same((await readSnapshotFile(f)).pairs, [['a', '1'], ['b', '2']], 'the control case reads');
  const withAddresses = { ...h, config: { voters: [1, 3], learners: [4], addresses: { '1': { host: 'a', port: 1, peerPort: 2 }, '3': { host: 'b', port: 1, peerPort: 2 }, '4': { host: 'c', port: 3, peerPort: 4 } } } };
  await withTrailer(f, [JSON.stringify(withAddresses), data]);
  t.same((await readSnapshotFile(f)).header.config, withAddresses.config, 'a membership with addresses and learners reads (an old header without addresses is the control case)');

  const cases: Array<[string, string[], RegExp]> = [
    ['header says more keys', [JSON.stringify({ ...h, keys: 3 }), data], /header says 3 keys, the file holds 2/],
    ['header says fewer keys', [JSON.stringify({ ...h, keys: 1 }), data], /header says 1 keys/],
    ['unknown format version', [JSON.stringify({ ...h, raftkvSnapshot: 2 }), data], /unknown format 2/],
    ['no format field', [JSON.stringify({ ...h, raftkvSnapshot: undefined }), data], /unknown format/],
    ['header not JSON', ['{nope', data], /header is not JSON/],
    ['header an array', ['[1]', data], /bad header/],
    ['negative index', [JSON.stringify({ ...h, index: -1 }), data], /non-negative integers/],
    ['config without learners', [JSON.stringify({ ...h, config: { voters: [1] } }), data], /config must hold/],
    ['addresses of a non-member', [JSON.stringify({ ...h, config: { voters: [1], learners: [], addresses: { '2': { host: 'h', port: 1, peerPort: 2 } } } }), data], /config: .*names 2, which is not a member/],
    ['an address without a peer port', [JSON.stringify({ ...h, config: { voters: [1], learners: [], addresses: { '1': { host: 'h', port: 1 } } } }), data], /config: .*peerPort/],
    ['voters out of order', [JSON.stringify({ ...h, config: { voters: [2, 1], learners: [], addresses: {} } }), data], /config: .*ascending/],
    ['sm taken at another index', [JSON.stringify({ ...h, sm: { ...h.sm, lastApplied: 6 } }), data], /not taken at the snapshot index/],
    ['data line not JSON', [JSON.stringify(h), '[["a","1"'], /is not JSON/],
    ['data line an object', [JSON.stringify(h), '{"a":"1"}'], /not an array of pairs/],
    ['a pair with a number', [JSON.stringify(h), '[["a",1],["b","2"]]'], /string pairs/],
    ['a triple', [JSON.stringify(h), '[["a","1","x"],["b","2"]]'], /string pairs/],
  ];
  for (const [name, lines, why] of cases) {
    await withTrailer(f, lines);
    await t.rejects(readSnapshotFile(f), { name: 'SnapshotFileError', code: 'BAD_SNAPSHOT_FILE', message: why }, name);
  }
});

t.test('a missing file is an I/O error, not SnapshotFileError', async (t) => {
  const f = path.join(await tempDir(t), 'absent.snap');
  await t.rejects(readSnapshotFile(f), { code: 'ENOENT' });
});

