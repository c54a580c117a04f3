/**
 * `raftkv bench` against real clusters, as real processes: a short run on a 3-node cluster whose
 * counts add up with no errors, and `--suite --quick`, which starts its own cluster, prints one
 * table and leaves nothing behind, also when interrupted with Ctrl-C (SIGINT) half-way.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, jsonRequest, killProcessesMentioning, processesMentioning, startCluster, waitFor, type Tap } from './harness.js';

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  /** Exit code (or 128 + signal number style string for a signal). */
  exited: Promise<number | string>;
}

/** Starts `raftkv ...args`; the teardown kills it if it is still running. */
function raftkv(tt: Tap, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d.toString()));
  child.stderr!.on('data', (d) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  tt.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, out: () => out, err: () => err, exited };
}

/** Resolves with the exit code, or fails after `ms`. */
async function exitWithin(run: Run, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms; stderr: ${run.err()}`)), ms);
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}


/** A private TMPDIR for a suite run, so its temp cluster folder can be looked for afterwards. */
function privateTmp(tt: Tap): string {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-bench-e2e-'));
  tt.teardown(async () => {
    // The suite's nodes run detached; if the test failed before the bench stopped them, they die here.
    await killProcessesMentioning(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

t.test('bench -n 2000 -c 8 -t set,get --json against a 3-node cluster', async (tt) => {
  const c = await startCluster(tt, { nodes: 3 });
  await c.waitForLeader();
  const run = raftkv(tt, ['bench', '--config', c.configPath, '-n', '2000', '-c', '8', '-t', 'set,get', '--json']);
  tt.equal(await exitWithin(run, 60_000), 0, run.err());
  const results = run
    .out()
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  tt.equal(results.length, 2, 'one JSON object per test');
  for (const [i, test] of ['set', 'get'].entries()) {
    const r = results[i];
    tt.match(r, { test, clients: 8, pipeline: 1, requests: 2000, errors: 0, firstError: null }, `${test}: counts add up, no errors`);
    tt.ok(r.rps > 0 && r.seconds > 0, `${test}: ${r.rps} req/s`);
    tt.ok(r.latencyMs.p50 > 0 && r.latencyMs.p50 <= r.latencyMs.p99 && r.latencyMs.p99 <= r.latencyMs.max, `${test}: ordered percentiles`);
    tt.comment(`${test}: ${r.rps} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`);
  }
  // The writes went through Raft: every node reads the bench's key.
  for (const n of c.nodes) {
    const got = await jsonRequest(n.port, { op: 'get', key: 'key:__rand_int__' });
    tt.same(got, { id: 1, ok: true, value: 'xxx' }, `node ${n.id} has the bench key`);
  }
});

t.test('bench --suite --quick: its own cluster, one table, nothing left behind', async (tt) => {
  const tmp = privateTmp(tt);
  const run = raftkv(tt, ['bench', '--suite', '--quick'], { TMPDIR: tmp, CI: '1' });
  tt.equal(await exitWithin(run, 60_000), 0, run.err());
  const out = run.out();
  tt.match(out, /^raftkv bench suite\nmachine: .+, \d+ cores, Node v\d+/);
  tt.match(out, /\ncluster: 3 nodes on 127\.0\.0\.1 .*election timeout 150-300 ms, heartbeat 50 ms/);
  const table = out.slice(out.indexOf('\ntest ') + 1).trimEnd().split('\n');
  tt.match(table[0], /^test\s+clients\s+req\/s\s+p50 ms\s+p99 ms\s+max ms\s+errors$/);
  // The label may be several words ("GET (lease) -P 16"): read the six numeric columns from the right.
  const rows = table.slice(1).map((l) => {
    const words = l.trim().split(/\s+/);
    return [words.slice(0, -6).join(' '), ...words.slice(-6)];
  });
  tt.same(
    rows.map((r) => [r[0], r[1]]),
    [
      ['SET', '1'], ['SET', '16'], ['SET', '64'], ['SET -P 16', '64'],
      ['GET', '1'], ['GET', '16'], ['GET', '64'],
      ['GET (lease)', '1'], ['GET (lease)', '16'], ['GET (lease)', '64'], ['GET (lease) -P 16', '64'],
    ],
    'SET and GET (ReadIndex and lease) at 1, 16 and 64 clients, and pipelined',
  );
  for (const r of rows) {
    tt.ok(Number(r[2]) > 0, `${r[0]} c=${r[1]}: ${r[2]} req/s`);
    tt.equal(r[6], '0', `${r[0]} c=${r[1]}: no errors`);
  }
  tt.same(readdirSync(tmp), [], 'the temp cluster folder is gone');
  tt.same(processesMentioning(tmp), [], 'no node process left');
});

t.test('bench --suite interrupted by SIGINT stops its cluster and removes its folder', async (tt) => {
  const tmp = privateTmp(tt);
  // Long runs, so the signal lands while a test is running.
  const run = raftkv(tt, ['bench', '--suite', '--duration', '30'], { TMPDIR: tmp, CI: '1' });
  await waitFor('the suite to start its cluster', () => run.out().includes('\ncluster: '), 30_000);
  tt.ok(processesMentioning(tmp).length >= 3, 'the nodes are running');
  run.child.kill('SIGINT');
  tt.equal(await exitWithin(run, 30_000), 130, run.err());
  tt.match(run.err(), /SIGINT: stopping the bench and its cluster/);
  tt.match(run.err(), /raftkv bench: interrupted/);
  tt.same(readdirSync(tmp), [], 'the temp cluster folder is gone');
  tt.same(processesMentioning(tmp), [], 'no node process left');
});
