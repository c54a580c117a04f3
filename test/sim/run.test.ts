/** The CLI contract: one summary line last, exit code 0 only without violations, replay commands. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('./run.js', import.meta.url));

function run(args: string[]): { code: number | null; lines: string[]; stderr: string } {
  // spawnSync waits for the child to exit, so nothing outlives the test.
  const r = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, lines: r.stdout.trimEnd().split('\n'), stderr: r.stderr };
}

t.test('--mode core: a clean range ends with the summary line and exit code 0', async (t) => {
  const r = run(['--mode', 'core', '--seeds', '2', '--start', '3']);
  t.equal(r.code, 0);
  t.equal(r.lines[r.lines.length - 1], '2 seeds, 0 violations');
  t.match(r.lines[r.lines.length - 2], /^seeds 3\.\.4, nodes 3\+5, read modes readindex\+lease: 8 runs, [\d.]+ runs\/s, \d+ reads served from a lease, \d+ membership changes$/, '2 seeds x 2 node counts x 2 read modes');
  const one = run(['--mode', 'core', '--seeds', '2', '--start', '3', '--read-mode', 'readindex', '--nodes', '3']);
  t.equal(one.lines[one.lines.length - 1], '2 seeds, 0 violations');
});

t.test('a lease bug is caught and replays with its read mode', async (t) => {
  const hunt = run(['--seeds', '50', '--sabotage', 'long-lease']);
  t.equal(hunt.code, 1, 'the sabotaged lease is caught');
  const fail = hunt.lines.find((l) => l.startsWith('FAIL seed '));
  t.match(fail, /^FAIL seed \d+ nodes=[35] read=lease: STALE_READ at tick \d+/);
  const [, seed, nodes] = /^FAIL seed (\d+) nodes=(\d)/.exec(fail ?? '') ?? [];
  const replayLine = hunt.lines.find((l) => l.trim().startsWith('replay: '));
  t.equal(replayLine?.trim(), `replay: node dist/test/sim/run.js --mode core --seed ${seed} --nodes ${nodes} --sabotage long-lease --trace`);
  const replay = run(['--mode', 'core', '--seed', seed ?? 'none', '--nodes', nodes ?? '3', '--sabotage', 'long-lease']);
  t.equal(replay.lines.find((l) => l.startsWith('FAIL seed ')), fail, 'the replay fails the same way');
});

t.test('a violation prints the replay command, and the replay fails the same way', async (t) => {
  // A deliberately broken driver (acks before fsync) must be caught within a few dozen seeds;
  // which seed trips first depends on the chaos schedule, so find it rather than hard-code it.
  // (A fixed membership keeps this hunt on the schedules it was written against.)
  const hunt = run(['--mode', 'core', '--seeds', '100', '--nodes', '5', '--read-mode', 'readindex', '--sabotage', 'send-before-persist', '--membership', 'fixed']);
  t.equal(hunt.code, 1, 'the sabotaged driver is caught');
  t.match(hunt.lines[hunt.lines.length - 1], /^100 seeds, [1-9]\d* violations$/);
  const fail = hunt.lines.find((l) => l.startsWith('FAIL seed '));
  t.match(fail, /^FAIL seed \d+ nodes=5: [A-Z_]+ at tick \d+/);
  const seed = /^FAIL seed (\d+)/.exec(fail ?? '')?.[1] ?? 'none';
  const replayLine = hunt.lines.find((l) => l.trim().startsWith('replay: '));
  t.equal(replayLine?.trim(), `replay: node dist/test/sim/run.js --mode core --seed ${seed} --nodes 5 --sabotage send-before-persist --membership fixed --trace`);

  const replay = run(['--mode', 'core', '--seed', seed, '--nodes', '5', '--sabotage', 'send-before-persist', '--membership', 'fixed']);
  t.equal(replay.code, 1, 'the replay is deterministic');
  t.equal(replay.lines.find((l) => l.startsWith('FAIL seed ')), fail);
  t.equal(replay.lines[replay.lines.length - 1], '1 seeds, 1 violations');
});

t.test('--mode core --trace prints every event of the run', async (t) => {
  const r = run(['--mode', 'core', '--seed', '5', '--trace', '--ticks', '60']);
  t.equal(r.code, 0);
  t.ok(r.lines.some((l) => /^\[\d+\] deliver \d->\d /.test(l)), 'deliveries');
  t.ok(r.lines.some((l) => /^\[\d+\] role \d /.test(l)), 'role changes');
  t.equal(r.lines[r.lines.length - 1], '1 seeds, 0 violations');
});

t.test('the real node code (the default): the summary counts the client operations checked; a sabotage is caught and replays', async (t) => {
  const clean = run(['--seeds', '2', '--start', '5']);
  t.equal(clean.code, 0);
  t.equal(clean.lines[clean.lines.length - 1], '2 seeds, 0 violations');
  t.match(clean.lines[clean.lines.length - 2], /^real node code, seeds 5\.\.6: 2 runs in [\d.]+ s, [1-9]\d* client operations checked \(\d+ ok, \d+ failed, \d+ unknown outcome\)/);
  const hunt = run(['--seeds', '3', '--sabotage', 'double-apply']);
  t.equal(hunt.code, 1);
  const fail = hunt.lines.find((l) => l.startsWith('FAIL seed '));
  t.match(fail, /^FAIL seed \d+ nodes=[35] read=(readindex|lease): exactly-once: node \d executed write #\d+ of client c\d+ 2 times/);
  t.ok(hunt.lines.some((l) => l.trim() === 'last events:'), 'the events before it');
  const replay = hunt.lines.find((l) => l.trim().startsWith('replay: '))?.trim() ?? '';
  t.match(replay, /^replay: node dist\/test\/sim\/run\.js --mode real --seed \d+ --nodes [35] --read-mode (readindex|lease) --sabotage double-apply --trace$/);
  const again = run(replay.replace(/^replay: node dist\/test\/sim\/run\.js /, '').split(' '));
  t.equal(again.code, 1, 'the replay fails too');
  t.ok(again.lines.includes(fail!), 'the same way');
  t.ok(again.lines.some((l) => / CRASH node | client c\d+ invokes /.test(l)), 'with the whole trace');
});

t.test('garbage arguments: usage on stderr, exit code 2', async (t) => {
  const r = run(['--seeds', 'lots']);
  t.equal(r.code, 2);
  t.match(r.stderr, /SIM_BAD_ARGS/);
  t.match(r.stderr, /usage:/);
});
