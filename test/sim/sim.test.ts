/**
 * The randomized simulator as part of `npm test`: a few hundred seeds with 3 and 5 nodes, each a
 * chaos phase then a heal phase, every step checked for safety and the end for liveness, in both
 * read modes (ReadIndex, and leader leases under bounded clock drift). A failure prints the exact
 * command that replays the run with a full trace.
 *
 * SIM_START / SIM_SEEDS (readindex) and SIM_LEASE_SEEDS move or widen the range (hunting), e.g.
 * SIM_START=5000 SIM_SEEDS=1000 SIM_LEASE_SEEDS=1000.
 */
import t from 'tap';
import { crc32 } from 'node:zlib';
import { runSeed } from './chaos.js';
import type { ReadMode } from './cluster.js';

const START = Number(process.env['SIM_START'] ?? 1);
const SEEDS = Number(process.env['SIM_SEEDS'] ?? 120);
const LEASE_SEEDS = Number(process.env['SIM_LEASE_SEEDS'] ?? 100);

function traceHash(seed: number, nodes: number, readMode: ReadMode = 'readindex'): { hash: number; lines: number; result: ReturnType<typeof runSeed> } {
  let hash = 0;
  let lines = 0;
  const result = runSeed({
    seed,
    nodes,
    readMode,
    trace: (line) => {
      hash = crc32(`${line}\n`, hash);
      lines++;
    },
  });
  return { hash, lines, result };
}

t.test('same seed, same run: identical trace hashes', async (t) => {
  for (const [seed, nodes, mode] of [
    [7, 3, 'readindex'],
    [8, 5, 'readindex'],
    [9, 5, 'lease'],
  ] as const) {
    const a = traceHash(seed, nodes, mode);
    const b = traceHash(seed, nodes, mode);
    t.ok(a.lines > 500, `seed ${seed}/${nodes} nodes/${mode} traced ${a.lines} events`);
    t.equal(b.lines, a.lines, `seed ${seed}: same number of events`);
    t.equal(b.hash, a.hash, `seed ${seed}: same trace hash ${a.hash.toString(16)}`);
    t.same(b.result.stats, a.result.stats, `seed ${seed}: same statistics`);
  }
  t.not(traceHash(7, 3).hash, traceHash(9, 3).hash, 'different seeds, different runs');
  // Tracing observes only: the untraced run does exactly the same.
  t.same(runSeed({ seed: 7, nodes: 3 }).stats, traceHash(7, 3).result.stats, 'tracing does not change the run');
});

t.test(`seeds ${START}..${START + SEEDS - 1} with 3 and 5 nodes: no violations`, async (t) => {
  t.comment(`seed range ${START}..${START + SEEDS - 1}; replay one with: node dist/test/sim/run.js --mode core --seed S --nodes N --trace`);
  let runs = 0;
  let committed = 0;
  let leaders = 0;
  let crashes = 0;
  const failures: string[] = [];
  const started = Date.now();
  for (let seed = START; seed < START + SEEDS; seed++) {
    for (const nodes of [3, 5]) {
      const r = runSeed({ seed, nodes });
      runs++;
      committed += r.committedIndex;
      leaders += r.stats.leaderChanges;
      crashes += r.stats.crashes;
      if (r.violation) failures.push(`seed ${seed} nodes=${nodes}: ${r.violation.message}\n  replay: node dist/test/sim/run.js --mode core --seed ${seed} --nodes ${nodes} --trace`);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  t.comment(`${runs} runs in ${seconds.toFixed(1)} s (${(runs / seconds).toFixed(1)}/s): ${committed} entries committed, ${leaders} leaders elected, ${crashes} crashes`);
  t.same(failures, [], `${runs} runs, ${failures.length} violations`);
  // The runs must actually exercise the core, or "no violations" means nothing.
  t.ok(committed > runs * 20, 'runs commit plenty of entries');
  t.ok(leaders > runs, 'runs see leadership change');
  t.ok(crashes > runs / 2, 'runs crash nodes');
});

t.test(`seeds ${START}..${START + LEASE_SEEDS - 1} in lease mode, clocks drifting within bounds: no violations`, async (t) => {
  t.comment(`replay one with: node dist/test/sim/run.js --mode core --seed S --nodes N --read-mode lease --trace`);
  let runs = 0;
  let leaseReads = 0;
  let readsServed = 0;
  let readsFailed = 0;
  let leaders = 0;
  const failures: string[] = [];
  const started = Date.now();
  for (let seed = START; seed < START + LEASE_SEEDS; seed++) {
    for (const nodes of [3, 5]) {
      const r = runSeed({ seed, nodes, readMode: 'lease' });
      runs++;
      leaseReads += r.stats.leaseReads;
      readsServed += r.stats.readsServed;
      readsFailed += r.stats.readsFailed;
      leaders += r.stats.leaderChanges;
      if (r.violation) failures.push(`seed ${seed} nodes=${nodes}: ${r.violation.message}\n  replay: node dist/test/sim/run.js --mode core --seed ${seed} --nodes ${nodes} --read-mode lease --trace`);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  t.comment(`${runs} runs in ${seconds.toFixed(1)} s: ${readsServed} reads served (${leaseReads} from a lease), ${readsFailed} failed, ${leaders} leaders elected`);
  t.same(failures, [], `${runs} runs, ${failures.length} violations`);
  t.ok(leaseReads > runs * 10, 'leases answer plenty of reads');
  t.ok(readsServed > leaseReads, 'and some reads fall back to a ReadIndex round');
  t.ok(readsFailed > runs, 'stale leaders refuse reads rather than answer them');
});

t.test('the harness catches a lease longer than the election timeout (sabotage long-lease)', async (t) => {
  // A lease of 2 * electionTicksMax outlives the vote rejection that makes leases safe: an old
  // leader cut off from the rest keeps answering reads after a new leader committed writes.
  const found: string[] = [];
  for (let seed = 1; seed <= 300 && found.length === 0; seed++) {
    for (const nodes of [3, 5]) {
      const r = runSeed({ seed, nodes, sabotage: 'long-lease' });
      if (r.violation) found.push(`seed ${seed}/${nodes}: ${r.violation.message}`);
    }
  }
  t.match(found[0], /STALE_READ/, `a stale read was reported (${found[0] ?? 'none'})`);
});

t.test('the harness catches a broken driver (sends before persisting)', async (t) => {
  // With messages leaving before the hard state and entries are durable, a crash in between
  // makes a node forget votes and acknowledgements it already gave. Within a range of seeds the
  // checker must notice.
  const found: string[] = [];
  for (let seed = 1; seed <= 200 && found.length === 0; seed++) {
    for (const nodes of [3, 5]) {
      const r = runSeed({ seed, nodes, sabotage: 'send-before-persist' });
      if (r.violation && r.violation.code !== 'LIVENESS') found.push(`seed ${seed}/${nodes}: ${r.violation.code}`);
    }
  }
  t.ok(found.length > 0, `a safety violation was reported (${found[0] ?? 'none'})`);
});
