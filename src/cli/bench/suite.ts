/**
 * `raftkv bench --suite` (`npm run bench`): a fixed list of tests against a fresh 3-node cluster,
 * printed as ONE table under a header naming the machine and the cluster settings, so numbers
 * from different days and machines can be compared.
 *
 * The suite is data: each entry names its row label, test, client count and, optionally, cluster
 * settings. Entries with the same settings share one cluster (started when first needed, stopped
 * before the next): the `GET (lease)` rows run on their own cluster with readMode 'lease'.
 */
import os from 'node:os';
import type { CliIo } from '../command.js';
import { runTest, type TestResult } from './engine.js';
import type { BenchOptions, BenchSize, TestName } from './options.js';
import type { ProgressLine } from './progress.js';
import { describeKeys, formatSuiteTable, type SuiteRow } from './report.js';
import { startTempCluster, type ClusterOverrides, type TempCluster } from './temp-cluster.js';

export interface SuiteEntry {
  /** Row label in the table. */
  label: string;
  test: TestName;
  clients: number;
  /** Requests in flight per client; default: the suite's -P (1). */
  pipeline?: number;
  clusterOverrides?: ClusterOverrides;
}

/**
 * Writes and reads (ReadIndex, then leases) at 1, 16 and 64 clients, one request in flight per
 * client; then 64 clients pipelining 16 requests each (redis-benchmark -P 16), where per-request
 * costs (a socket read and write each) no longer hide what batching in the node can do.
 */
export const DEFAULT_SUITE: readonly SuiteEntry[] = [
  { label: 'SET', test: 'set', clients: 1 },
  { label: 'SET', test: 'set', clients: 16 },
  { label: 'SET', test: 'set', clients: 64 },
  { label: 'SET -P 16', test: 'set', clients: 64, pipeline: 16 },
  { label: 'GET', test: 'get', clients: 1 },
  { label: 'GET', test: 'get', clients: 16 },
  { label: 'GET', test: 'get', clients: 64 },
  // Leader leases (readMode 'lease'): reads served without a heartbeat round; own cluster.
  { label: 'GET (lease)', test: 'get', clients: 1, clusterOverrides: { readMode: 'lease' } },
  { label: 'GET (lease)', test: 'get', clients: 16, clusterOverrides: { readMode: 'lease' } },
  { label: 'GET (lease)', test: 'get', clients: 64, clusterOverrides: { readMode: 'lease' } },
  { label: 'GET (lease) -P 16', test: 'get', clients: 64, pipeline: 16, clusterOverrides: { readMode: 'lease' } },
];

/** Each run's length: long enough for a stable number, short enough for the suite to take about a minute. */
export const SUITE_RUN_SECONDS = 4;
/** --quick: a smoke test of the whole path, not a measurement. */
export const QUICK_RUN_SECONDS = 0.25;
/** Unreported SET load after each cluster start, so JIT warm-up does not land in the first row. */
const WARMUP = { seconds: 1, clients: 16 } as const;

export interface SuiteContext {
  io: CliIo;
  progress: ProgressLine;
  signal: AbortSignal;
}

export function machineLine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `machine: ${model}, ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.arch()}, load average ${load}`;
}

function sizeLabel(size: BenchSize): string {
  return size.kind === 'duration' ? `${size.seconds} s per run` : `${size.requests} requests per run`;
}

function overridesLabel(o: ClusterOverrides | undefined): string {
  return o && Object.keys(o).length > 0 ? JSON.stringify(o) : '';
}

/** Runs `entries` and prints the table; resolves with the rows (for tests). Throws on any failure. */
export async function runSuite(options: BenchOptions, ctx: SuiteContext, entries: readonly SuiteEntry[] = DEFAULT_SUITE): Promise<SuiteRow[]> {
  const size: BenchSize = options.size ?? { kind: 'duration', seconds: options.quick ? QUICK_RUN_SECONDS : SUITE_RUN_SECONDS };
  const { io, progress, signal } = ctx;
  io.out(`raftkv bench suite\n${machineLine()}\n`);

  // Groups of entries that share cluster settings, in order of first appearance.
  const groups = new Map<string, number[]>();
  entries.forEach((e, i) => {
    const key = overridesLabel(e.clusterOverrides);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });

  const results: (TestResult | undefined)[] = new Array(entries.length);
  let headerPrinted = false;
  for (const indexes of groups.values()) {
    const overrides = entries[indexes[0]!]!.clusterOverrides;
    const cluster: TempCluster = await startTempCluster(overrides, signal);
    try {
      const c = cluster.config;
      if (!headerPrinted) {
        io.out(
          `cluster: ${c.nodes.length} nodes on ${c.nodes[0]!.host} (fresh, in ${os.tmpdir()}), election timeout ${c.electionTimeoutMs.min}-${c.electionTimeoutMs.max} ms, ` +
            `heartbeat ${c.heartbeatIntervalMs} ms, fsync on\n` +
            `load: ${sizeLabel(size)}, pipeline ${options.pipeline}, ${options.dataSizeBytes}-byte values, ${describeKeys(options.keyspace)}, clients spread over all nodes\n`,
        );
        headerPrinted = true;
      }
      if (overrides && overridesLabel(overrides)) io.out(`cluster settings for ${indexes.map((i) => entries[i]!.label).join(', ')}: ${overridesLabel(overrides)}\n`);
      const common = {
        pipeline: options.pipeline,
        dataSizeBytes: options.dataSizeBytes,
        keyspace: options.keyspace,
        readRatio: options.readRatio,
        nodes: cluster.nodes,
        signal,
      };
      if (!options.quick) {
        await runTest({ ...common, test: 'set', clients: WARMUP.clients, size: { kind: 'duration', seconds: WARMUP.seconds } });
      }
      for (const i of indexes) {
        const e = entries[i]!;
        const label = `${e.label} c=${e.clients}`;
        try {
          results[i] = await runTest({ ...common, test: e.test, clients: e.clients, pipeline: e.pipeline ?? options.pipeline, size, onTick: (p) => progress.update(p, label) });
        } finally {
          progress.clear();
        }
      }
    } catch (err) {
      if (!signal.aborted) io.err(`raftkv bench: the suite failed; last lines of the node logs:\n${cluster.logTails(5)}\n`);
      throw err;
    } finally {
      await cluster.stop();
    }
  }
  const rows = entries.map((e, i) => ({ label: e.label, result: results[i]! }));
  io.out(`\n${formatSuiteTable(rows)}`);
  return rows;
}
