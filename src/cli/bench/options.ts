/**
 * `raftkv bench` options: redis-benchmark's short flags (`-c 50 -n 100000 -t set,get -d 3 -r 1000
 * -P 16 -q`) mapped onto long names, parsed by the shared CLI parser (args.ts), then checked as a
 * whole (exclusive flags, lists, ranges) into one BenchOptions. Every mistake is a UsageError
 * (exit code 2) that names the flag the way the user typed it.
 *
 * `-h` stays help, as in every raftkv command; one node is named with `--host H -p P`.
 */
import { resolve } from 'node:path';
import { clientSecurityFrom, type ClientSecurity } from '../../client/client-security.js';
import { loadClusterConfig, type ClusterConfig } from '../../protocol/cluster-config.js';
import { boolFlag, expectPositionals, intFlag, parseArgs, stringFlag, UsageError, type FlagSpec, type ParsedArgs } from '../args.js';
import { DEFAULT_CONFIG_FILE, parseNodeList } from '../client-target.js';

export const TEST_NAMES = ['set', 'get', 'cas', 'mixed'] as const;
export type TestName = (typeof TEST_NAMES)[number];

/** Where the load goes: client connection i goes to nodes[i % nodes.length]. */
export interface BenchNode {
  host: string;
  port: number;
  /** TLS and password of a secure cluster (from its cluster file). */
  security?: ClientSecurity;
}

/** How much load one test applies: a request count, or a time budget. */
export type BenchSize = { kind: 'requests'; requests: number } | { kind: 'duration'; seconds: number };

export interface BenchOptions {
  /** Tests in the order given (repeats allowed, as redis-benchmark runs what it is told). */
  tests: TestName[];
  /** Connections, each with up to `pipeline` requests in flight. >= 1. */
  clients: number;
  pipeline: number;
  /** null only with --suite when neither -n nor --duration was given (the suite picks). */
  size: BenchSize | null;
  /** Bytes in each SET/CAS value. */
  dataSizeBytes: number;
  /** Number of distinct random keys; null = one fixed key (redis-benchmark without -r). */
  keyspace: number | null;
  /** Fraction of GETs in the mixed test, 0..1. */
  readRatio: number;
  output: 'report' | 'quiet' | 'json';
  /** null in suite mode (the suite starts its own cluster). */
  nodes: BenchNode[] | null;
  /** Where the target came from, for the report (`cluster.json (3 nodes)`). */
  targetLabel: string;
  suite: boolean;
  /** Suite only: tiny runs (for tests and a smoke check). */
  quick: boolean;
}

export const DEFAULTS = Object.freeze({
  clients: 50,
  requests: 100_000,
  dataSizeBytes: 3,
  pipeline: 1,
  readRatio: 0.5,
});

/** The server refuses bulk arguments over 1 MiB (client-decoder.ts maxBulkBytes). */
export const MAX_DATA_SIZE_BYTES = 1024 * 1024;
/** Keys are `key:` + 12 digits, as redis-benchmark's `key:__rand_int__`. */
export const KEY_DIGITS = 12;
const MAX_KEYSPACE = 10 ** KEY_DIGITS;
const MAX_DURATION_SECONDS = 24 * 3600;

/** Short flag -> long flag. Only what redis-benchmark users type; `-h` is help, not host. */
export const SHORT_FLAGS: Readonly<Record<string, string>> = Object.freeze({
  '-c': 'clients',
  '-n': 'requests',
  '-t': 'tests',
  '-d': 'data-size',
  '-r': 'keyspace',
  '-P': 'pipeline',
  '-p': 'port',
  '-q': 'quiet',
});

function short(name: string): string {
  const s = Object.entries(SHORT_FLAGS).find(([, long]) => long === name)?.[0];
  return s ? `${s}: ` : '';
}

const SPECS: FlagSpec[] = [
  { name: 'clients', type: 'int', valueName: 'N', min: 1, max: 10_000, help: `parallel connections (default ${DEFAULTS.clients})` },
  { name: 'requests', type: 'int', valueName: 'N', min: 1, max: 1_000_000_000, help: `requests per test, over all connections (default ${DEFAULTS.requests})` },
  { name: 'duration', type: 'string', valueName: 'S', help: 'run each test for S seconds (decimals ok) instead of -n requests' },
  { name: 'tests', type: 'string', valueName: 'T,...', help: `tests to run in order: ${TEST_NAMES.join(',')} (default set,get)` },
  { name: 'data-size', type: 'int', valueName: 'B', min: 0, max: MAX_DATA_SIZE_BYTES, help: `value size in bytes for SET/CAS (default ${DEFAULTS.dataSizeBytes})` },
  { name: 'keyspace', type: 'int', valueName: 'R', min: 1, max: MAX_KEYSPACE, help: 'random keys key:000000000000..R-1 (default: one fixed key)' },
  { name: 'pipeline', type: 'int', valueName: 'P', min: 1, max: 1024, help: `requests in flight per connection (default ${DEFAULTS.pipeline})` },
  { name: 'read-ratio', type: 'string', valueName: 'F', help: 'mixed test: fraction of GETs, 0..1 (default 0.5)' },
  { name: 'config', type: 'string', valueName: 'F', help: `load every node of this cluster file (default ./${DEFAULT_CONFIG_FILE})` },
  { name: 'nodes', type: 'string', valueName: 'H:P,...', help: 'load these client addresses instead of a cluster file' },
  { name: 'port', type: 'int', valueName: 'P', min: 1, max: 65535, help: 'load one node on this client port (with --host)' },
  { name: 'host', type: 'string', valueName: 'H', help: 'host for -p (default 127.0.0.1)' },
  { name: 'json', type: 'boolean', help: 'one JSON object per test on stdout' },
  { name: 'quiet', type: 'boolean', help: 'one line per test, like redis-benchmark -q' },
  { name: 'suite', type: 'boolean', help: 'start a fresh 3-node cluster and run the fixed suite (npm run bench)' },
  { name: 'quick', type: 'boolean', help: 'with --suite: short runs (a smoke test, not a measurement)' },
];

/** The flag list for `--help`, each line showing its short form. */
export const BENCH_FLAGS: readonly FlagSpec[] = SPECS.map((s) => ({ ...s, help: `${short(s.name)}${s.help}` }));

/** `--clients` -> `-c/--clients` in messages, so the user sees the flag as typed or documented. */
function withShortNames(message: string): string {
  return message.replace(/--([a-z-]+)/g, (whole, name: string) => {
    const s = Object.entries(SHORT_FLAGS).find(([, long]) => long === name)?.[0];
    return s ? `${s}/${whole}` : whole;
  });
}

/**
 * Parses the words after `raftkv bench`: short flags become long ones (before a `--`), then the
 * shared parser types and bounds-checks them. `-c50`-style glued values are not supported.
 */
export function parseBenchArgv(argv: readonly string[]): ParsedArgs {
  const words: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--') break;
    const long = SHORT_FLAGS[w];
    if (long !== undefined) words.push(`--${long}`);
    else if (/^-[a-zA-Z]./.test(w) || (/^-[a-zA-Z]$/.test(w) && w !== '-h')) {
      throw new UsageError(`unknown option ${JSON.stringify(w)} (short options: ${Object.keys(SHORT_FLAGS).join(' ')} -h)`);
    } else words.push(w);
  }
  words.push(...argv.slice(i));
  try {
    return parseArgs(words, BENCH_FLAGS);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(withShortNames(err.message));
    throw err;
  }
}

function parseTests(list: string): TestName[] {
  const tests = list.split(',').map((t) => t.trim().toLowerCase());
  for (const t of tests) {
    if (!(TEST_NAMES as readonly string[]).includes(t)) {
      throw new UsageError(`-t/--tests: unknown test ${JSON.stringify(t)} (tests: ${TEST_NAMES.join(', ')})`);
    }
  }
  return tests as TestName[];
}

/** A decimal number in [min, max]; `what` names the flag. */
function parseNumber(raw: string, what: string, min: number, max: number, minExclusive: boolean): number {
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(raw) ? Number(raw) : NaN;
  const low = minExclusive ? n <= min : n < min;
  if (!Number.isFinite(n) || low || n > max) {
    const range = `${minExclusive ? `> ${min}` : `>= ${min}`} and <= ${max}`;
    throw new UsageError(`${what}: must be a number ${range}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** The nodes to load, from exactly one of --config (the default), --nodes, -p/--host. */
function resolveNodes(args: ParsedArgs, cwd: string): { nodes: BenchNode[]; label: string } {
  const config = stringFlag(args, 'config');
  const nodesFlag = stringFlag(args, 'nodes');
  const port = intFlag(args, 'port');
  const host = stringFlag(args, 'host');
  const given = [config !== undefined && '--config', nodesFlag !== undefined && '--nodes', port !== undefined && '-p/--port'].filter(Boolean);
  if (given.length > 1) throw new UsageError(`give one target: ${given.join(' or ')}`);
  if (host !== undefined && port === undefined) throw new UsageError('--host needs -p/--port');
  if (port !== undefined) {
    const h = host ?? '127.0.0.1';
    return { nodes: [{ host: h, port }], label: `${h}:${port}` };
  }
  if (nodesFlag !== undefined) {
    const nodes = parseNodeList(nodesFlag).map(({ host: h, port: p }) => ({ host: h, port: p }));
    return { nodes, label: nodes.map((n) => `${n.host}:${n.port}`).join(',') };
  }
  const file = config ?? DEFAULT_CONFIG_FILE;
  const cfg: ClusterConfig = loadClusterConfig(resolve(cwd, file));
  // A secure cluster's TLS files and password come from its cluster file, as for every tool.
  const security = clientSecurityFrom(cfg.security);
  return { nodes: cfg.nodes.map((n) => ({ host: n.host, port: n.port, ...(security ? { security } : {}) })), label: `${file} (${cfg.nodes.length} nodes)` };
}

/**
 * Checks the parsed flags as a whole and fills in defaults. Reads the cluster file (a bad file is
 * a BAD_CONFIG RaftKvError, exit 1); everything else wrong is a UsageError (exit 2).
 */
export function resolveBenchOptions(args: ParsedArgs, cwd: string): BenchOptions {
  expectPositionals(args, 0, 0, 'no arguments (flags only)');
  const suite = boolFlag(args, 'suite');
  const quick = boolFlag(args, 'quick');
  const json = boolFlag(args, 'json');
  const quiet = boolFlag(args, 'quiet');
  if (json && quiet) throw new UsageError('--json and -q/--quiet cannot be combined');
  if (quick && !suite) throw new UsageError('--quick only applies to --suite');

  const requests = intFlag(args, 'requests');
  const durationRaw = stringFlag(args, 'duration');
  if (requests !== undefined && durationRaw !== undefined) throw new UsageError('give -n/--requests or --duration, not both');
  const size: BenchSize | null =
    durationRaw !== undefined
      ? { kind: 'duration', seconds: parseNumber(durationRaw, '--duration', 0, MAX_DURATION_SECONDS, true) }
      : requests !== undefined
        ? { kind: 'requests', requests }
        : null;

  const testsRaw = stringFlag(args, 'tests');
  const tests = parseTests(testsRaw ?? 'set,get');
  const readRatioRaw = stringFlag(args, 'read-ratio');
  if (readRatioRaw !== undefined && !tests.includes('mixed')) throw new UsageError('--read-ratio only applies to the mixed test (-t mixed)');
  const readRatio = readRatioRaw !== undefined ? parseNumber(readRatioRaw, '--read-ratio', 0, 1, false) : DEFAULTS.readRatio;

  const common = {
    pipeline: intFlag(args, 'pipeline') ?? DEFAULTS.pipeline,
    dataSizeBytes: intFlag(args, 'data-size') ?? DEFAULTS.dataSizeBytes,
    keyspace: intFlag(args, 'keyspace') ?? null,
    readRatio,
    suite,
    quick,
  };

  if (suite) {
    // The suite fixes its tests, client counts and cluster; only the load shape may be changed.
    const fixed = ['clients', 'tests', 'config', 'nodes', 'port', 'host', 'read-ratio'].filter((f) => Object.hasOwn(args.flags, f));
    if (fixed.length > 0) throw new UsageError(withShortNames(`--suite runs a fixed set of tests on its own cluster; it cannot be combined with ${fixed.map((f) => `--${f}`).join(', ')}`));
    if (json || quiet) throw new UsageError('--suite prints one table; --json and -q/--quiet do not apply');
    return { ...common, tests: [], clients: 0, size, output: 'report', nodes: null, targetLabel: 'a fresh 3-node cluster' };
  }
  const { nodes, label } = resolveNodes(args, cwd);
  return {
    ...common,
    tests,
    clients: intFlag(args, 'clients') ?? DEFAULTS.clients,
    size: size ?? { kind: 'requests', requests: DEFAULTS.requests },
    output: json ? 'json' : quiet ? 'quiet' : 'report',
    nodes,
    targetLabel: label,
  };
}
