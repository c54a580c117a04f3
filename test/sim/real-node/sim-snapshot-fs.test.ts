/** The simulated snapshot directory: data durable at sync(), names at fsyncDir(), nothing else. */
import t from 'tap';
import { Prng } from '../../lib/prng.js';
import { SimSnapshotFs } from './sim-snapshot-fs.js';

/** A life whose completions run when `drain()` is called (the simulator's deferred queue). */
function life(fs: SimSnapshotFs) {
  let queue: (() => void)[] = [];
  const files = fs.forLife((fn) => queue.push(fn));
  const drain = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) {
      const q = queue;
      queue = [];
      for (const fn of q) fn();
      await new Promise<void>((r) => setImmediate(r));
    }
  };
  return { files, drain };
}

async function settled<T>(p: Promise<T>, drain: () => Promise<void>): Promise<T> {
  await drain();
  return p;
}

t.test('without fsyncDir a created and renamed file is gone after a crash; with it, only synced bytes remain', async (t) => {
  const fs = new SimSnapshotFs(new Prng(1));
  const { files, drain } = life(fs);
  const a = await settled(files.create('/d/a.tmp'), drain);
  await settled(a.write(Buffer.from('hello ')), drain);
  await settled(a.sync(), drain);
  await settled(a.write(Buffer.from('world')), drain);
  await settled(files.rename('/d/a.tmp', '/d/a.snap'), drain);
  t.same(await settled(files.readdir('/d'), drain), ['a.snap']);
  fs.crash(false);
  t.same(fs.list(), [], 'neither the create nor the rename was made durable');

  const l2 = life(fs);
  const b = await settled(l2.files.create('/d/b.tmp'), l2.drain);
  await settled(b.write(Buffer.from('hello ')), l2.drain);
  await settled(b.sync(), l2.drain);
  await settled(b.write(Buffer.from('world')), l2.drain);
  await settled(l2.files.rename('/d/b.tmp', '/d/b.snap'), l2.drain);
  await settled(l2.files.fsyncDir('/d'), l2.drain);
  fs.crash(false);
  const l3 = life(fs);
  t.same(await settled(l3.files.readdir('/d'), l3.drain), ['b.snap']);
  t.equal((await settled(l3.files.readFile('/d/b.snap'), l3.drain)).toString(), 'hello ', 'the unsynced tail is lost');
});

t.test('a torn crash keeps the synced bytes and at most a prefix of the rest', async (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    const fs = new SimSnapshotFs(new Prng(seed));
    const { files, drain } = life(fs);
    const f = await settled(files.create('/d/x'), drain);
    await settled(f.write(Buffer.from('abc')), drain);
    await settled(f.sync(), drain);
    await settled(files.fsyncDir('/d'), drain);
    await settled(f.write(Buffer.from('defgh')), drain);
    fs.crash(true);
    const l2 = life(fs);
    const text = (await settled(l2.files.readFile('/d/x'), l2.drain)).toString();
    t.ok('abcdefgh'.startsWith(text) && text.length >= 3, `seed ${seed}: kept ${JSON.stringify(text)}`);
  }
});

t.test('a dead life\'s operations never complete; create refuses an existing name', async (t) => {
  const fs = new SimSnapshotFs(new Prng(1));
  const { files, drain } = life(fs);
  await settled(files.create('/d/x'), drain);
  const refused = [t.rejects(files.create('/d/x'), { code: 'EEXIST' }), t.rejects(files.readFile('/d/nope'), { code: 'ENOENT' })];
  await drain();
  await Promise.all(refused);
  let done = false;
  void files.readdir('/d').then(() => (done = true));
  fs.crash(false);
  await drain();
  t.notOk(done, 'the crashed life hears nothing back');
});
