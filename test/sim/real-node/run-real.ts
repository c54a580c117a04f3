/**
 * `npm run sim -- --mode real ...`: runs real-seed.ts for each seed and prints, as the core mode
 * does, one FAIL block per failing run (the violation, the end of its trace when the violation
 * stopped the run, the command that replays it) and last the contract line `N seeds, V violations`.
 * The line before it says how many client operations were checked.
 */
import type { SimArgs } from '../cli-args.js';
import { runRealSeed, type RealSeedOptions, type RealSeedResult } from './real-seed.js';

type Write = (line: string) => void;

function optionsFor(seed: number, args: SimArgs): RealSeedOptions {
  const o: RealSeedOptions = { seed, sabotage: args.real.sabotage };
  if (args.real.nodes !== null) o.nodes = args.real.nodes;
  if (args.real.readMode !== null) o.readMode = args.real.readMode;
  if (args.real.chaosMs !== null) o.chaosMs = args.real.chaosMs;
  return o;
}

export function replayCommand(r: RealSeedResult, args: SimArgs): string {
  const chaos = args.real.chaosMs !== null ? ` --chaos-ms ${args.real.chaosMs}` : '';
  const sabotage = args.real.sabotage ? ` --sabotage ${args.real.sabotage}` : '';
  return `node dist/test/sim/run.js --mode real --seed ${r.seed} --nodes ${r.nodes} --read-mode ${r.readMode}${chaos}${sabotage} --trace`;
}

/** The events just before a violation that stopped the run (runs are deterministic: run it again). */
async function lastEvents(seed: number, args: SimArgs, keep = 20): Promise<string[]> {
  const tail: string[] = [];
  await runRealSeed({
    ...optionsFor(seed, args),
    trace: (line) => {
      tail.push(line);
      if (tail.length > keep) tail.shift();
    },
  });
  return tail;
}

function describe(r: RealSeedResult): string {
  const o = r.ops;
  return `seed ${r.seed} nodes=${r.nodes} read=${r.readMode}: ${o.total} ops (${o.ok} ok, ${o.failed} failed, ${o.unknown} unknown), crashes=${r.crashes}, pauses=${r.pauses}, snapshots taken=${r.snapshotsTaken} installed=${r.snapshotsInstalled}, spares=${r.spares} membership requests=${r.membership.requests} changes=${r.membership.changes} transfers=${r.membership.transfers}, session writes=${r.sessionWrites}, sessions renewed=${r.sessionsRenewed}${r.inconclusive ? ', INCONCLUSIVE' : ''}; ${r.profile}`;
}

/** Runs the seeds of `args`; returns the exit code (0: no violation). */
export async function runRealSeeds(args: SimArgs, write: Write): Promise<number> {
  const trace = args.trace ? write : null;
  const totals = { runs: 0, violations: 0, ops: 0, ok: 0, failed: 0, unknown: 0, inconclusive: 0, sessionsRenewed: 0, crashes: 0, snapshotsTaken: 0, snapshotsInstalled: 0, seedsInstalling: 0, memberRequests: 0, memberChanges: 0, transfers: 0 };
  const started = process.hrtime.bigint();
  for (let s = args.start; s < args.start + args.count; s++) {
    const r = await runRealSeed({ ...optionsFor(s, args), trace });
    totals.runs++;
    totals.ops += r.ops.total;
    totals.ok += r.ops.ok;
    totals.failed += r.ops.failed;
    totals.unknown += r.ops.unknown;
    totals.sessionsRenewed += r.sessionsRenewed;
    totals.crashes += r.crashes;
    totals.snapshotsTaken += r.snapshotsTaken;
    totals.snapshotsInstalled += r.snapshotsInstalled;
    if (r.snapshotsInstalled > 0) totals.seedsInstalling++;
    totals.memberRequests += r.membership.requests;
    totals.memberChanges += r.membership.changes;
    totals.transfers += r.membership.transfers;
    if (r.inconclusive) totals.inconclusive++;
    if (args.verbose || args.trace) write(describe(r));
    if (!r.violation) continue;
    totals.violations++;
    write(`FAIL seed ${r.seed} nodes=${r.nodes} read=${r.readMode}: ${r.violation.kind}: ${r.violation.message}`);
    // A linearizability failure is found after the run: its explanation is the history around it.
    if (!args.trace && r.violation.kind !== 'linearizability') {
      write(`  last events:\n${(await lastEvents(s, args)).map((l) => `    ${l}`).join('\n')}`);
    }
    write(`  replay: ${replayCommand(r, args)}`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  write(
    `real node code, seeds ${args.start}..${args.start + args.count - 1}: ${totals.runs} runs in ${seconds.toFixed(1)} s, ` +
      `${totals.ops} client operations checked (${totals.ok} ok, ${totals.failed} failed, ${totals.unknown} unknown outcome), ` +
      `${totals.crashes} crashes, ${totals.snapshotsTaken} snapshots taken, ${totals.snapshotsInstalled} installed (in ${totals.seedsInstalling} runs), ` +
      `${totals.memberRequests} membership requests (${totals.memberChanges} changes and ${totals.transfers} leadership transfers done), ${totals.sessionsRenewed} sessions renewed after SESSION_EXPIRED, ${totals.inconclusive} runs inconclusive (checker step budget)`,
  );
  write(`${args.count} seeds, ${totals.violations} violations`);
  return totals.violations === 0 ? 0 : 1;
}
