/**
 * The simulator CLI. `npm run sim -- --seeds N [--start S]` runs the node's real code on every
 * seed (real-node/run-real.ts: driver, waiters, state machine and sessions, snapshots, membership
 * requests, the client library as clients; value-level linearizability checked). `--mode core`
 * (or any option only the core has, see cli-args.ts) runs the pure consensus core instead, under
 * the simulator's own Ready loop, with each node count and read mode (by default both of each).
 * Either ends with exactly one summary line `N seeds, V violations` (V: runs that broke an
 * invariant); the exit code is 0 only when V is 0. Each failing run prints its violation and the
 * exact command that replays it; `--seed S --trace` prints every event of that one run.
 */
import { ArgsError, USAGE, parseSimArgs, type SimArgs } from './cli-args.js';
import { runSeed, type SeedResult } from './chaos.js';
import { runRealSeeds } from './real-node/run-real.js';

function replayCommand(r: SeedResult, args: SimArgs): string {
  const extra =
    (r.readMode !== 'readindex' && args.sabotage !== 'long-lease' ? ` --read-mode ${r.readMode}` : '') +
    (args.chaosTicks !== null ? ` --ticks ${args.chaosTicks}` : '') +
    (args.sabotage ? ` --sabotage ${args.sabotage}` : '') +
    (args.membership ? '' : ' --membership fixed');
  return `node dist/test/sim/run.js --mode core --seed ${r.seed} --nodes ${r.nodes}${extra} --trace`;
}

/** Re-run a failed seed (runs are deterministic) keeping only the end of its trace. */
function lastEvents(r: SeedResult, args: SimArgs, keep = 15): string[] {
  const tail: string[] = [];
  runSeed({
    seed: r.seed,
    nodes: r.nodes,
    readMode: r.readMode,
    chaosTicks: args.chaosTicks ?? undefined,
    sabotage: args.sabotage,
    membership: args.membership,
    trace: (line) => {
      tail.push(line);
      if (tail.length > keep) tail.shift();
    },
  });
  return tail;
}

function describe(r: SeedResult): string {
  const p = r.proposals;
  return (
    `seed ${r.seed} nodes=${r.nodes} read=${r.readMode}: ticks=${r.ticks} heal=${r.healTicks} term=${r.maxTerm} committed=${r.committedIndex} ` +
    `leaders=${r.stats.leaderChanges} crashes=${r.stats.crashes} msgs=${r.stats.delivered}/${r.stats.dropped}dropped ` +
    `proposals ok=${p.committed} dropped=${p.dropped} fwd=${p.forwarded}(${p.forwardedApplied} applied) refused=${p.refused} ` +
    `reads served=${r.stats.readsServed} (lease ${r.stats.leaseReads}) failed=${r.stats.readsFailed} membership changes=${r.stats.confChanges}`
  );
}

async function main(argv: string[]): Promise<number> {
  let args: SimArgs;
  try {
    args = parseSimArgs(argv);
  } catch (err) {
    if (err instanceof ArgsError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (args.mode === 'real') return runRealSeeds(args, (line) => process.stdout.write(`${line}\n`));
  const trace = args.trace ? (line: string) => process.stdout.write(`${line}\n`) : null;
  let runs = 0;
  let violations = 0;
  let leaseReads = 0;
  let confChanges = 0;
  const started = process.hrtime.bigint();
  for (let s = args.start; s < args.start + args.count; s++) {
    for (const nodes of args.nodes) {
      for (const readMode of args.readModes) {
        const r = runSeed({ seed: s, nodes, readMode, chaosTicks: args.chaosTicks ?? undefined, trace, sabotage: args.sabotage, membership: args.membership });
        runs++;
        leaseReads += r.stats.leaseReads;
        confChanges += r.stats.confChanges;
        if (args.verbose || args.trace) process.stdout.write(`${describe(r)}\n`);
        if (r.violation) {
          violations++;
          process.stdout.write(`FAIL seed ${r.seed} nodes=${r.nodes}${r.readMode === 'lease' ? ' read=lease' : ''}: ${r.violation.message}\n`);
          if (!args.trace) process.stdout.write(`  last events:\n${lastEvents(r, args).map((l) => `    ${l}\n`).join('')}`);
          process.stdout.write(`  replay: ${replayCommand(r, args)}\n`);
        }
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (args.count > 1) {
    process.stdout.write(
      `seeds ${args.start}..${args.start + args.count - 1}, nodes ${args.nodes.join('+')}, read modes ${args.readModes.join('+')}: ` +
        `${runs} runs, ${(runs / seconds).toFixed(1)} runs/s${args.readModes.includes('lease') ? `, ${leaseReads} reads served from a lease` : ''}, ${confChanges} membership changes\n`,
    );
  }
  // The contract line: N is the number of seeds asked for (each runs once per node count and
  // read mode: the line above gives the runs), V the runs that broke an invariant.
  process.stdout.write(`${args.count} seeds, ${violations} violations\n`);
  return violations === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
