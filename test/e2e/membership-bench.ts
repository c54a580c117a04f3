/**
 * `npm run bench:membership`: issue 10's three measurements on a fresh supervised 3-node cluster
 * (real node processes on ports from the OS, the default timing of cluster.json), one line each:
 *
 *   1. `raftkv ctl add` to a promoted voter on an idle cluster holding 10,000 keys: the CLI's wall
 *      time (process start included) and the supervisor's own, over `--adds` runs (each new node
 *      removed again before the next);
 *   2. leadership transfer to a named node: from the request to the supervisor to the first write
 *      acknowledged by the new leader, over `--transfers` runs;
 *   3. `raftkv bench -c 16` (SET, on the three bootstrap nodes) plus 16 verifying writers of the
 *      client library (unique keys, each acknowledged write read back at the end) while the
 *      supervisor adds a node, moves leadership to it and back, and removes it, twice: the
 *      writers' errors after the library's retries, writes lost, and bench's error replies.
 *
 * The `raftkv ctl add` process runs with report-cpu.js preloaded, so its CPU time (user + system)
 * is reported next to its wall time. `--only add` stops after the first measurement.
 *
 * usage: npm run bench:membership -- [--adds N] [--transfers N] [--keys N] [--only add]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { RaftKvClient } from '../../src/client/raftkv-client.js';
import { generateClusterConfig } from '../../src/cluster/cluster-setup.js';
import { connectControl, type ControlClient } from '../../src/cluster/control-client.js';
import { startCluster } from '../../src/cluster/start-cluster.js';
import { toRaftKvError } from '../../src/protocol/errors.js';
import { CLI, killProcessesMentioning } from './harness.js';
import { waitFor } from '../lib/wait-for.js';

const USAGE = 'usage: npm run bench:membership -- [--adds N] [--transfers N] [--keys N] [--only add]\n';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  return v;
}

const ADDS = flag('adds', 3);
const TRANSFERS = flag('transfers', 5);
const KEYS = flag('keys', 10_000);
const onlyAt = process.argv.indexOf('--only');
if (onlyAt !== -1 && process.argv[onlyAt + 1] !== 'add') {
  process.stderr.write(USAGE);
  process.exit(2);
}
const ONLY_ADD = onlyAt !== -1;
const REPORT_CPU = join(dirname(fileURLToPath(import.meta.url)), 'report-cpu.js');

/** `raftkv ctl add` as a whole process, with its CPU time from report-cpu.js. */
function timedCtlAdd(dataDir: string): Promise<{ code: number; stdout: string; stderr: string; cpuMs: number }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', REPORT_CPU, CLI, 'ctl', 'add', '--data-dir', dataDir], { timeout: 120_000 }, (err, stdout, stderr) => {
      const cpu = /cpu user (\d+) ms, system (\d+) ms\n$/.exec(stderr);
      const code = err ? Number((err as unknown as { code: unknown }).code) : 0;
      resolve({ code, stdout, stderr, cpuMs: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN });
    });
  });
}

const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0]!.toFixed(0)} ms, median ${s[Math.floor(s.length / 2)]!.toFixed(0)} ms, max ${s.at(-1)!.toFixed(0)} ms (${s.map((x) => x.toFixed(0)).join(', ')})`;
};

async function parallel(count: number, work: (i: number) => Promise<void>, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await work(next++);
  }));
}

const dir = mkdtempSync(join(tmpdir(), 'raftkv-memberbench-'));
const cfg = await generateClusterConfig({ nodes: 3, dataDir: join(dir, 'data'), logDir: join(dir, 'logs') });
const cluster = await startCluster(cfg);
const control: ControlClient = await connectControl(cluster.control.socketPath, { timeoutMs: 90_000 });
const client = new RaftKvClient({ nodes: cfg.nodes, timeoutMs: 10_000 });
let failed = false;
try {
  console.log(`machine: load ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}; cluster ${cfg.nodes.map((n) => n.port).join(',')}`);
  await waitFor('a leader', async () => (await control.status()).some((r) => r.role === 'leader'), 20_000);
  await parallel(KEYS, (i) => client.set(`key:${i}`, `value-${i}`), 64);

  // 1. ctl add on an idle cluster.
  const cliMs: number[] = [];
  const cliCpuMs: number[] = [];
  const supMs: number[] = [];
  for (let i = 0; i < ADDS; i++) {
    const t0 = performance.now();
    const r = await timedCtlAdd(cfg.dataDir);
    cliMs.push(performance.now() - t0);
    if (r.code !== 0) throw new Error(`ctl add failed: ${r.stderr}`);
    cliCpuMs.push(r.cpuMs);
    supMs.push(Number(/after (\d+) ms/.exec(r.stderr)?.[1] ?? NaN));
    console.log(`  ${r.stderr.trim().replace(/\n/g, '; ')}`);
    await control.remove(Number(r.stdout.trim()));
  }
  console.log(`ctl add -> promoted voter, ${KEYS} keys, idle: CLI wall ${stats(cliMs)}; CLI CPU ${stats(cliCpuMs)}; supervisor ${stats(supMs)}`);
  if (!ONLY_ADD) await transfersAndChurn();
} catch (err) {
  failed = true;
  console.log(`membership bench: ERROR: ${(err as Error).message}`);
} finally {
  client.close();
  await control.close();
  await cluster.stop();
  await killProcessesMentioning(dir);
  if (process.env.KEEP_BENCH_DIR) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

/** Measurements 2 and 3. */
async function transfersAndChurn(): Promise<void> {
  // 2. transfer to a named node, then the first write it acknowledges as leader.
  const totalMs: number[] = [];
  const transferMs: number[] = [];
  for (let i = 0; i < TRANSFERS; i++) {
    const rows = await control.status();
    const leader = rows.find((r) => r.role === 'leader')!.id;
    const target = rows.find((r) => r.id !== leader && r.member === 'voter' && r.state === 'up')!.id;
    const to = cfg.nodes.find((n) => n.id === target)!;
    const direct = new RaftKvClient({ nodes: [to], timeoutMs: 5000 });
    await direct.status(target); // connected before the clock starts, as a client of the new leader would be
    const t0 = performance.now();
    await control.transfer(target);
    const t1 = performance.now();
    await direct.set(`transfer:${i}`, 'x');
    totalMs.push(performance.now() - t0);
    transferMs.push(t1 - t0);
    direct.close();
  }
  console.log(`transfer to a named node -> its first write: ${stats(totalMs)}; transfer alone ${stats(transferMs)}`);

  // 3. changes under load.
  const benchArgs = ['bench', '-c', '16', '-t', 'set', '--duration', '25', '-r', '100000', '--json', '--nodes', cfg.nodes.map((n) => `${n.host}:${n.port}`).join(',')];
  const bench = spawn(process.execPath, [CLI, ...benchArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let benchOut = '';
  bench.stdout.on('data', (d) => (benchOut += d));
  const benchDone = new Promise<number | null>((resolve) => bench.on('exit', (code) => resolve(code)));
  const writer = new RaftKvClient({ nodes: cfg.nodes, timeoutMs: 15_000 });
  const acked: string[] = [];
  const errors = new Map<string, number>();
  let stop = false;
  const writers = Promise.all(Array.from({ length: 16 }, async (_, w) => {
    for (let n = 0; !stop; n++) {
      const key = `churn:${w}:${n}`;
      try {
        await writer.set(key, String(n));
        acked.push(key);
      } catch (err) {
        const code = toRaftKvError(err).code;
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    }
  }));
  const steps: string[] = [];
  const step = async (what: string, run: () => Promise<unknown>): Promise<void> => {
    const t0 = performance.now();
    await run();
    steps.push(`${what} ${(performance.now() - t0).toFixed(0)} ms`);
  };
  // The changes start once the load is under way: every writer has had writes acknowledged.
  await waitFor('16 writers under way', () => acked.length >= 16 * 20, 30_000);
  for (let round = 0; round < 2; round++) {
    let id = 0;
    await step('add', async () => (id = (await control.add()).id));
    await step(`transfer ${id}`, () => control.transfer(id));
    await step('transfer 1', () => control.transfer(1));
    await step(`remove ${id}`, () => control.remove(id));
  }
  stop = true;
  await writers;
  const benchCode = await benchDone;
  let lost = 0;
  await parallel(acked.length, async (i) => {
    if ((await client.get(acked[i]!)) === null) lost++;
  }, 32);
  const b = benchOut.trim() ? JSON.parse(benchOut.trim().split('\n').at(-1)!) : null;
  console.log(`under load (${steps.join(', ')}): writers ${acked.length} acknowledged, errors ${errors.size === 0 ? 'none' : JSON.stringify(Object.fromEntries(errors))}, lost ${lost}; raftkv bench -c 16 (exit ${benchCode}): ${b ? `${b.requests} replies, ${b.rps} SET/s, ${b.errors} error replies${b.firstError ? ` (first: ${b.firstError})` : ''}` : 'no result'}`);
  writer.close();
}
