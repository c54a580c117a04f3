/**
 * Argument parsing for the simulator CLI (run.ts), kept apart so tests can feed it garbage
 * without starting a run.
 *
 *   --seeds N [--start S]                                  run seeds S .. S+N-1
 *   --seed S [--trace]                                     replay one seed (with every event)
 *
 *   The default mode runs the node's real code (real-node/real-seed.ts): RawNode, RaftDriver,
 *   ClientWaiters, KvStateMachine with sessions, snapshots, membership requests, and the client
 *   library as clients; one run per seed, nodes and read mode drawn per seed unless
 *   --nodes 3|5 / --read-mode readindex|lease fix them; --chaos-ms T; --sabotage stale-read|double-apply.
 *
 *   --mode core                                            the pure core under the simulator's own
 *                                                          Ready loop (chaos.ts), faster and with the
 *                                                          full invariant checker; implied by any of:
 *   --nodes both, --read-mode both                         each seed with both node counts / read modes
 *   --ticks T                                              the chaos phase's length in ticks
 *   --sabotage send-before-persist|long-lease              harness self-test (a broken driver/lease)
 *   --membership churn|fixed                               membership changes on half the seeds (default) or none
 */
import { READ_MODES, SABOTAGES, type ReadMode, type Sabotage } from './cluster.js';
import { REAL_SABOTAGES, type RealSabotage } from './real-node/sim-node.js';

export type SimMode = 'core' | 'real';

export interface SimArgs {
  /** 'core': the pure core under the simulator's own Ready loop; 'real': the node's real code. */
  mode: SimMode;
  /** First seed and how many. */
  start: number;
  count: number;
  /** Node counts to run each seed with. */
  nodes: number[];
  chaosTicks: number | null;
  trace: boolean;
  /** Print one line per seed. */
  verbose: boolean;
  /** Harness self-test: run with a deliberately broken driver (see ClusterOptions.sabotage). */
  sabotage: Sabotage | null;
  /** Read modes to run each seed with. */
  readModes: ReadMode[];
  /** false (--membership fixed): no spare nodes, no membership changes. */
  membership: boolean;
  /** Real mode: the node count and read mode if given (null: drawn per seed), the chaos phase's length. */
  real: { nodes: number | null; readMode: ReadMode | null; chaosMs: number | null; sabotage: RealSabotage | null };
}

export class ArgsError extends Error {
  readonly code = 'SIM_BAD_ARGS';
  constructor(message: string) {
    super(`SIM_BAD_ARGS: ${message}`);
  }
}

export const USAGE =
  'usage: node dist/test/sim/run.js --seeds N [--start S] [--nodes 3|5] [--read-mode readindex|lease] [--chaos-ms T]\n' +
  '       node dist/test/sim/run.js --seed S [--nodes 3|5] [--read-mode readindex|lease] [--chaos-ms T] [--trace]\n' +
  '       (the real node code, the default; nodes and read mode drawn per seed unless given; --sabotage stale-read|double-apply)\n' +
  '       node dist/test/sim/run.js --mode core --seeds N [--start S] [--nodes 3|5|both] [--read-mode readindex|lease|both] [--membership churn|fixed] [--ticks T] [--verbose]\n' +
  '       node dist/test/sim/run.js --mode core --seed S [--nodes 3|5] [--read-mode readindex|lease] [--ticks T] [--trace]\n' +
  '       (the pure core; --sabotage send-before-persist|long-lease, long-lease runs in lease mode only)';

function nonNegativeInt(flag: string, raw: string | undefined, max: number): number {
  if (raw === undefined || !/^\d+$/.test(raw)) throw new ArgsError(`${flag} needs a non-negative integer, got ${JSON.stringify(raw ?? null)}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n > max) throw new ArgsError(`${flag} must be at most ${max}, got ${raw}`);
  return n;
}

export function parseSimArgs(argv: readonly string[]): SimArgs {
  const out: SimArgs = {
    mode: 'core',
    start: 1,
    count: 0,
    nodes: [3, 5],
    chaosTicks: null,
    trace: false,
    verbose: false,
    sabotage: null,
    readModes: [...READ_MODES],
    membership: true,
    real: { nodes: null, readMode: null, chaosMs: null, sabotage: null },
  };
  let modeGiven: SimMode | null = null;
  let readModeGiven: string | null = null;
  let seeds: number | null = null;
  let seed: number | null = null;
  let start: number | null = null;
  let nodesGiven = false;
  let membershipGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--seeds':
        seeds = nonNegativeInt(a, argv[++i], 10_000_000);
        if (seeds === 0) throw new ArgsError('--seeds must be at least 1');
        break;
      case '--start':
        start = nonNegativeInt(a, argv[++i], 0xffffffff);
        break;
      case '--seed':
        seed = nonNegativeInt(a, argv[++i], 0xffffffff);
        break;
      case '--nodes': {
        const v = argv[++i];
        if (v === '3' || v === '5') out.nodes = [Number(v)];
        else if (v === 'both') out.nodes = [3, 5];
        else throw new ArgsError(`--nodes must be 3, 5 or both, got ${JSON.stringify(v ?? null)}`);
        nodesGiven = true;
        break;
      }
      case '--ticks':
        out.chaosTicks = nonNegativeInt(a, argv[++i], 1_000_000);
        break;
      case '--trace':
        out.trace = true;
        break;
      case '--verbose':
        out.verbose = true;
        break;
      case '--mode': {
        const v = argv[++i];
        if (v !== 'core' && v !== 'real') throw new ArgsError(`--mode must be core or real, got ${JSON.stringify(v ?? null)}`);
        modeGiven = v;
        break;
      }
      case '--chaos-ms':
        out.real.chaosMs = nonNegativeInt(a, argv[++i], 3_600_000);
        break;
      case '--sabotage': {
        const v = argv[++i];
        if ((REAL_SABOTAGES as readonly (string | undefined)[]).includes(v)) out.real.sabotage = v as RealSabotage;
        else if ((SABOTAGES as readonly (string | undefined)[]).includes(v)) out.sabotage = v as Sabotage;
        else throw new ArgsError(`--sabotage must be ${[...SABOTAGES, ...REAL_SABOTAGES].join(', ')}, got ${JSON.stringify(v ?? null)}`);
        break;
      }
      case '--membership': {
        const v = argv[++i];
        if (v !== 'churn' && v !== 'fixed') throw new ArgsError(`--membership must be churn or fixed, got ${JSON.stringify(v ?? null)}`);
        out.membership = v === 'churn';
        membershipGiven = true;
        break;
      }
      case '--read-mode': {
        const v = argv[++i];
        if (v === 'both') out.readModes = [...READ_MODES];
        else if ((READ_MODES as readonly (string | undefined)[]).includes(v)) out.readModes = [v as ReadMode];
        else throw new ArgsError(`--read-mode must be readindex, lease or both, got ${JSON.stringify(v ?? null)}`);
        readModeGiven = v!;
        break;
      }
      default:
        throw new ArgsError(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  // The real node code is the default; an option only the pure core has (--ticks, --membership,
  // its sabotage modes, both node counts or both read modes per seed) implies --mode core.
  const coreOnly = out.chaosTicks !== null || membershipGiven || out.sabotage !== null || (nodesGiven && out.nodes.length > 1) || readModeGiven === 'both';
  out.mode = modeGiven ?? (coreOnly && !out.real.sabotage ? 'core' : 'real');
  if (out.mode === 'real') return finishReal(out, { seed, seeds, start, nodesGiven, readModeGiven });
  if (out.real.sabotage) throw new ArgsError(`--sabotage ${out.real.sabotage} needs --mode real`);
  if (out.real.chaosMs !== null) throw new ArgsError('--chaos-ms is for --mode real (the core mode counts --ticks)');
  if (seed !== null && (seeds !== null || start !== null)) throw new ArgsError('--seed replays one seed; do not combine it with --seeds or --start');
  if (out.sabotage === 'long-lease') {
    if (readModeGiven !== null && readModeGiven !== 'lease') throw new ArgsError(`--sabotage long-lease runs in lease mode only, not --read-mode ${readModeGiven}`);
    out.readModes = ['lease'];
  }
  if (seed === null && seeds === null) throw new ArgsError('give --seeds N or --seed S');
  if (out.trace && seed === null) throw new ArgsError('--trace needs --seed S (one run)');
  if (seed !== null) {
    out.start = seed;
    out.count = 1;
    // One replay means one run: default to 3 nodes and readindex unless told otherwise.
    if (!nodesGiven) out.nodes = [3];
    if (readModeGiven === 'both') throw new ArgsError('--seed replays one run: give --read-mode readindex or lease, not both');
    if (readModeGiven === null && out.sabotage !== 'long-lease') out.readModes = ['readindex'];
  } else {
    out.start = start ?? 1;
    out.count = seeds!;
  }
  if (out.start + out.count - 1 > 0xffffffff) throw new ArgsError('seed range goes past 2^32 - 1');
  return out;
}

/** Real mode: one run per seed, with the node count and read mode given or drawn from the seed. */
function finishReal(
  out: SimArgs,
  g: { seed: number | null; seeds: number | null; start: number | null; nodesGiven: boolean; readModeGiven: string | null },
): SimArgs {
  if (out.sabotage) throw new ArgsError(`--sabotage ${out.sabotage} is for the core mode; --mode real has stale-read and double-apply`);
  if (out.chaosTicks !== null) throw new ArgsError('--ticks is for the core mode; --mode real takes --chaos-ms');
  if (g.seed !== null && (g.seeds !== null || g.start !== null)) throw new ArgsError('--seed replays one seed; do not combine it with --seeds or --start');
  if (g.seed === null && g.seeds === null) throw new ArgsError('give --seeds N or --seed S');
  if (out.trace && g.seed === null) throw new ArgsError('--trace needs --seed S (one run)');
  if (g.nodesGiven) {
    if (out.nodes.length !== 1) throw new ArgsError('--mode real runs each seed once: give --nodes 3 or 5, or leave it to the seed');
    out.real.nodes = out.nodes[0]!;
  }
  if (g.readModeGiven !== null) {
    if (out.readModes.length !== 1) throw new ArgsError('--mode real runs each seed once: give --read-mode readindex or lease, or leave it to the seed');
    out.real.readMode = out.readModes[0]!;
  }
  out.start = g.seed ?? g.start ?? 1;
  out.count = g.seed !== null ? 1 : g.seeds!;
  if (out.start + out.count - 1 > 0xffffffff) throw new ArgsError('seed range goes past 2^32 - 1');
  return out;
}
