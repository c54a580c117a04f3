import t from 'tap';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Wal } from '../../../src/node/storage/wal.js';
import { WalCorruptionError } from '../../../src/node/storage/storage-errors.js';
import { RECORD_HEADER_BYTES, encodeRecords } from '../../../src/node/storage/wal-record.js';
import { Prng } from '../../lib/prng.js';
import { entries, garbage, tempDir, type Teardown } from './wal-test-helpers.js';

const SEG = 'wal-00000001.log';

/** Opens `dir` collecting log lines; the test closes the WAL. */
async function openLogged(t: Teardown, dir: string) {
  const lines: string[] = [];
  const r = await Wal.open(dir, { log: (l) => lines.push(l) });
  t.teardown(() => r.wal.close());
  return { ...r, lines };
}

/** Writes a log of three appends; returns the file bytes and the offset where the last one starts. */
async function threeAppends(t: Teardown) {
  const dir = await tempDir(t);
  const { wal } = await Wal.open(dir);
  await wal.append({ term: 1, vote: 1, commit: 0 }, entries(1, 2, 1));
  await wal.append({ term: 1, vote: 1, commit: 2 }, entries(3, 2, 1));
  const lastStart = (await fsp.stat(path.join(dir, SEG))).size;
  await wal.append({ term: 2, vote: 2, commit: 4 }, entries(5, 1, 2));
  await wal.close();
  return { bytes: await fsp.readFile(path.join(dir, SEG)), lastStart };
}

t.test('torn tail at EVERY byte offset of the last write: earlier data kept, file truncated', async (t) => {
  const { bytes, lastStart } = await threeAppends(t);
  t.ok(bytes.length - lastStart > 2 * RECORD_HEADER_BYTES, 'the last write holds two records');
  const root = await tempDir(t);
  for (let cut = lastStart + 1; cut < bytes.length; cut++) {
    const dir = path.join(root, `cut-${cut}`);
    await fsp.mkdir(dir);
    await fsp.writeFile(path.join(dir, SEG), bytes.subarray(0, cut));
    const lines: string[] = [];
    const { wal, state, recovery } = await Wal.open(dir, { log: (l) => lines.push(l) });
    const entriesRecordEnd = lastStart + RECORD_HEADER_BYTES + bytes.readUInt32LE(lastStart);
    // The last write is [entries 5][hardState term 2]: a cut inside the hard state keeps entry 5.
    const keptEntry5 = cut >= entriesRecordEnd;
    const keptBytes = keptEntry5 ? entriesRecordEnd : lastStart;
    const ok =
      state.entries.length === (keptEntry5 ? 5 : 4) &&
      state.hardState.commit === 2 &&
      recovery.truncatedBytes === cut - keptBytes &&
      (await fsp.stat(path.join(dir, SEG))).size === keptBytes &&
      (cut === keptBytes ? lines.length === 0 : lines[0] === `wal: truncated torn tail at offset ${keptBytes} (${cut - keptBytes} bytes) in ${path.join(dir, SEG)}`);
    if (!ok) t.fail(`cut at ${cut}: ${JSON.stringify({ n: state.entries.length, hs: state.hardState, recovery, lines })}`);
    // The WAL appends cleanly after the cut point.
    await wal.append(null, entries(state.entries.length + 1, 1, 3));
    await wal.close();
    const again = await Wal.open(dir);
    await again.wal.close();
    if (again.state.entries.length !== state.entries.length + 1 || again.recovery.truncatedBytes !== 0) t.fail(`cut at ${cut}: append after recovery`);
    await fsp.rm(dir, { recursive: true });
  }
  t.pass(`${bytes.length - lastStart - 1} cut points checked`);
});

t.test('a flipped byte in the last record is a torn tail', async (t) => {
  const { bytes } = await threeAppends(t);
  const dir = await tempDir(t);
  const b = Buffer.from(bytes);
  b[b.length - 3]! ^= 0x20;
  await fsp.writeFile(path.join(dir, SEG), b);
  const { state, recovery, lines } = await openLogged(t, dir);
  t.equal(state.entries.length, 5);
  t.same(state.hardState, { term: 1, vote: 1, commit: 2 });
  t.ok(recovery.truncatedBytes > 0);
  t.match(lines[0], /^wal: truncated torn tail at offset \d+ \(\d+ bytes\)/);
});

t.test('a flipped byte in the middle -> WAL_CORRUPT naming the file and offset', async (t) => {
  const { bytes, lastStart } = await threeAppends(t);
  // Second record of the log = the first append's hard state; flip a byte of its payload, then of its length.
  const second = RECORD_HEADER_BYTES + bytes.readUInt32LE(0);
  for (const at of [second + RECORD_HEADER_BYTES + 5, second + 1, lastStart - 2]) {
    const dir = await tempDir(t);
    const b = Buffer.from(bytes);
    b[at]! ^= 0x04;
    await fsp.writeFile(path.join(dir, SEG), b);
    const err = await Wal.open(dir).then(
      (r) => r.wal.close().then(() => null),
      (e: unknown) => e,
    );
    t.ok(err instanceof WalCorruptionError, `flip at ${at}`);
    const e = err as WalCorruptionError;
    t.equal(e.code, 'WAL_CORRUPT');
    t.ok(e.offset <= at, 'offset is the start of the damaged record');
    t.match(e.message, `${path.join(dir, SEG)} at offset ${e.offset}`);
    t.equal((await fsp.stat(path.join(dir, SEG))).size, bytes.length, 'nothing truncated');
  }
});

t.test('empty segment file opens as an empty log', async (t) => {
  const dir = await tempDir(t);
  await fsp.writeFile(path.join(dir, SEG), '');
  const { state, recovery, lines } = await openLogged(t, dir);
  t.same(state.entries, []);
  t.same(recovery, { truncatedBytes: 0, records: 0 });
  t.same(lines, []);
});

t.test('garbage: a file of garbage is a torn tail from offset 0; garbage after data is cut off', async (t) => {
  const seed = Date.now() >>> 0;
  t.comment(`seed ${seed}`);
  const random = new Prng(seed).asFunction();
  const { bytes } = await threeAppends(t);
  for (let i = 0; i < 10; i++) {
    const junk = garbage(1 + Math.floor(random() * 300), random);
    const alone = await tempDir(t);
    await fsp.writeFile(path.join(alone, SEG), junk);
    const a = await openLogged(t, alone);
    t.same([a.state.entries.length, a.recovery.truncatedBytes], [0, junk.length], `seed ${seed} #${i} alone`);
    t.equal((await fsp.stat(path.join(alone, SEG))).size, 0);

    const after = await tempDir(t);
    await fsp.writeFile(path.join(after, SEG), Buffer.concat([bytes, junk]));
    const b = await openLogged(t, after);
    t.same([b.state.entries.length, b.recovery.truncatedBytes], [5, junk.length], `seed ${seed} #${i} after data`);
  }
  // A file extended with zeros but never written (a crash during allocation).
  const zeros = await tempDir(t);
  await fsp.writeFile(path.join(zeros, SEG), Buffer.concat([bytes, Buffer.alloc(8192)]));
  const z = await openLogged(t, zeros);
  t.same([z.state.entries.length, z.recovery.truncatedBytes], [5, 8192]);
  // Files that are not segments are ignored.
  const other = await tempDir(t);
  await fsp.writeFile(path.join(other, 'wal.log.tmp'), 'junk');
  await fsp.writeFile(path.join(other, 'notes.txt'), 'junk');
  const o = await openLogged(t, other);
  t.same(o.state.entries, []);
});

t.test('a record that breaks the log shape (a gap) is WAL_CORRUPT at its offset', async (t) => {
  const dir = await tempDir(t);
  const first = encodeRecords([{ type: 'entries', entries: entries(1, 2, 1) }]);
  const second = encodeRecords([{ type: 'entries', entries: entries(5, 1, 1) }]);
  await fsp.writeFile(path.join(dir, SEG), Buffer.concat([first, second]));
  await t.rejects(Wal.open(dir), { code: 'WAL_CORRUPT', offset: first.length, message: /gap/ });
});

t.test('segments: a missing one and a torn non-last one are WAL_CORRUPT; the last one is appended to', async (t) => {
  const good = encodeRecords([{ type: 'entries', entries: entries(1, 2, 1) }]);
  const missing = await tempDir(t);
  await fsp.writeFile(path.join(missing, 'wal-00000001.log'), good);
  await fsp.writeFile(path.join(missing, 'wal-00000003.log'), '');
  await t.rejects(Wal.open(missing), { code: 'WAL_CORRUPT', message: /wal-00000002\.log.*segment missing/ });

  const torn = await tempDir(t);
  await fsp.writeFile(path.join(torn, 'wal-00000001.log'), good.subarray(0, good.length - 1));
  await fsp.writeFile(path.join(torn, 'wal-00000002.log'), '');
  await t.rejects(Wal.open(torn), { code: 'WAL_CORRUPT', message: /wal-00000001\.log at offset 0: .*not the last/ });

  const two = await tempDir(t);
  await fsp.writeFile(path.join(two, 'wal-00000001.log'), good);
  await fsp.writeFile(path.join(two, 'wal-00000002.log'), encodeRecords([{ type: 'entries', entries: entries(3, 1, 1) }]));
  const a = await Wal.open(two);
  t.same(a.wal.segmentPaths, [path.join(two, 'wal-00000001.log'), path.join(two, 'wal-00000002.log')], 'every segment, the active one last');
  await a.wal.append(null, entries(4, 1, 2));
  await a.wal.close();
  const b = await openLogged(t, two);
  t.same(b.state.entries.map((e) => e.index), [1, 2, 3, 4]);
  t.equal((await fsp.stat(path.join(two, 'wal-00000001.log'))).size, good.length, 'older segment untouched');
});
