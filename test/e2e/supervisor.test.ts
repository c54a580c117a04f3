/**
 * `raftkv up` end to end, with real node processes: start a 3-node cluster, read it with
 * `raftkv ctl status`, write and read with the CLI, kill the leader (writes continue on a new
 * leader, nothing acknowledged is lost), restart it (it catches up), then Ctrl-C (SIGINT) stops
 * every node and removes the control socket. Every process is killed in teardown, even when the
 * test fails: the supervisor, and every node pid it ever reported.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeStatusRow } from '../../src/cluster/supervisor.js';
import { CLEAN_STOP_LOG_TAIL, CLI, cli, jsonRequest, killProcessesMentioning, lastLogLines } from './harness.js';
import { waitFor } from '../lib/wait-for.js';
import { alive } from '../lib/process-alive.js';

t.test('raftkv up --nodes 3: ctl status, kill leader, restart, Ctrl-C', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-up-'));
  const data = join(dir, 'data');
  const logs = join(dir, 'logs');
  const clusterFile = join(data, 'cluster.json');
  const seenPids = new Set<number>();

  const runs: Array<ReturnType<typeof spawn>> = [];
  tt.teardown(async () => {
    for (const run of runs) if (run.exitCode === null && run.signalCode === null) run.kill('SIGKILL');
    // The nodes run detached from `up`: kill whatever still runs from this test's folder.
    await killProcessesMentioning(dir);
    if (process.env.KEEP_E2E_DIR) tt.comment(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  /** `raftkv up` with these flags, from the test's folder (no cluster.json there), once it reports the cluster. */
  const startUp = async (flags: string[]) => {
    const run = spawn(process.execPath, [CLI, 'up', ...flags, '--data-dir', data, '--log-dir', logs], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    runs.push(run);
    const io = { out: '' };
    run.stdout!.on('data', (d: Buffer) => (io.out += d.toString()));
    run.stderr!.on('data', (d: Buffer) => (io.out += d.toString()));
    const exit = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));
    await waitFor('raftkv up to report the cluster', () => io.out.includes('Ctrl-C stops the cluster.') || run.exitCode !== null);
    if (run.exitCode !== null) tt.comment(io.out);
    tt.equal(run.exitCode, null, 'raftkv up is running');
    return { run, io, exit };
  };
  const firstRun = await startUp(['--nodes', '3']);
  const up = firstRun.run;
  const upExit = firstRun.exit;
  const out = firstRun.io.out;
  tt.match(out, /node 1 {2}client 127\.0\.0\.1:\d+ {2}peer 127\.0\.0\.1:\d+ {2}pid \d+/, 'prints where node 1 listens');
  tt.match(out, /control socket .*supervisor\.sock/);

  const statusRows = async (): Promise<NodeStatusRow[]> => {
    const r = await cli(['ctl', 'status', '--json', '--data-dir', data]);
    if (r.code !== 0) throw new Error(`ctl status failed: ${r.stderr}`);
    const rows = JSON.parse(r.stdout) as NodeStatusRow[];
    for (const row of rows) if (row.pid !== null) seenPids.add(row.pid);
    return rows;
  };
  /** The row of the leader all up nodes agree on, once they do. */
  const agreedLeader = async (): Promise<NodeStatusRow | null> => {
    const rows = (await statusRows()).filter((r) => r.state === 'up');
    const leaders = rows.filter((r) => r.role === 'leader');
    if (leaders.length !== 1) return null;
    return rows.every((r) => r.leader === leaders[0].id) ? leaders[0] : null;
  };

  const first = await waitFor('a leader everyone knows', agreedLeader);
  const firstLeader = first.id;
  tt.equal(seenPids.size, 3, 'three node processes');

  const table = await cli(['ctl', 'status', '--data-dir', data]);
  tt.equal(table.code, 0);
  const lines = table.stdout.trimEnd().split('\n');
  tt.match(lines[0], /^id\s+address\s+pid\s+state\s+member\s+role\s+term\s+leader\s+commit\s+applied\s+faults\s+restarts\s+last exit$/, 'the table header');
  tt.equal(lines.length, 4, 'one row per node');
  tt.match(lines.slice(1).join('\n'), /leader/);
  tt.equal(lines[0].indexOf('address'), lines[1].indexOf('127.0.0.1'), 'columns aligned');

  const target = ['--config', clusterFile, '--log-dir', logs, '--timeout', '10000'];
  tt.same(await cli(['set', 'greeting', 'hello', ...target]), { code: 0, stdout: 'OK\n', stderr: '' });
  tt.same(await cli(['get', 'greeting', ...target]), { code: 0, stdout: 'hello\n', stderr: '' });
  tt.same(await cli(['get', 'missing', ...target]), { code: 0, stdout: '(nil)\n', stderr: '' });

  const killed = await cli(['ctl', 'kill', 'leader', '--data-dir', data]);
  tt.equal(killed.code, 0, killed.stderr);
  tt.match(killed.stdout, new RegExp(`^node ${firstLeader}: down \\(exit signal SIGKILL\\)`));

  const started = Date.now();
  tt.same(await cli(['set', 'after', 'failover', ...target]), { code: 0, stdout: 'OK\n', stderr: '' }, 'writes continue');
  tt.comment(`first write after kill -9 of the leader: ${Date.now() - started} ms (CLI process start included)`);
  tt.same(await cli(['get', 'greeting', ...target]), { code: 0, stdout: 'hello\n', stderr: '' }, 'no acknowledged write lost');
  const second = await waitFor('a new leader', agreedLeader);
  tt.ok(second.term! > first.term!, `§5.2: the new leader, node ${second.id}, leads a later term (${first.term} -> ${second.term})`);
  const rows = await statusRows();
  tt.match(rows.find((r) => r.id === firstLeader), { state: 'down', pid: null, role: null });

  const restarted = await cli(['ctl', 'restart', String(firstLeader), '--data-dir', data]);
  tt.equal(restarted.code, 0, restarted.stderr);
  tt.match(restarted.stdout, new RegExp(`^node ${firstLeader}: up, pid \\d+`));
  await waitFor('the restarted node to catch up', async () => {
    const all = await statusRows();
    const leader = all.find((r) => r.role === 'leader');
    const back = all.find((r) => r.id === firstLeader);
    return leader && back && back.state === 'up' && back.lastApplied !== null && back.lastApplied >= (leader.commitIndex ?? Infinity);
  });
  tt.same(
    await jsonRequest(first.port, { op: 'get', key: 'after', consistency: 'stale' }),
    { id: 1, ok: true, value: 'failover' },
    'the restarted node has, in its own state, the write made while it was down',
  );

  const status = await cli(['status', '--config', clusterFile, '--log-dir', logs]);
  tt.equal(status.code, 0);
  tt.equal(status.stdout.trimEnd().split('\n').length, 4, 'raftkv status: a row per node');

  up.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([upExit, new Promise((r) => (timer = setTimeout(() => r('still running'), 20_000)))]);
  clearTimeout(timer);
  tt.equal(code, 0, 'Ctrl-C: raftkv up exits 0');
  tt.match(firstRun.io.out, /raftkv: cluster stopped/);
  tt.notOk(existsSync(join(data, 'supervisor.sock')), 'control socket removed');
  await waitFor('every node process to be gone', () => [...seenPids].every((p) => !alive(p)), 5000);
  for (const id of [1, 2, 3]) tt.match(lastLogLines(join(logs, `node-${id}.log`), 2), CLEAN_STOP_LOG_TAIL, `Ctrl-C stopped node ${id} cleanly`);

  // Again without --nodes: the cluster of the data directory, on the same ports (the addresses
  // in its replicated membership), with its data.
  const again = await startUp([]);
  const nodeLines = (text: string) => text.split('\n').filter((l) => /^ {2}node \d/.test(l)).map((l) => l.replace(/ {2}pid \d+/, ''));
  tt.same(nodeLines(again.io.out), nodeLines(out), 'the same nodes on the same ports');
  tt.same(await cli(['get', 'greeting', ...target]), { code: 0, stdout: 'hello\n', stderr: '' }, 'with its data');
  again.run.kill('SIGINT');
  tt.equal(await again.exit, 0);
});

t.test('raftkv up refuses a bad cluster file before starting anything', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-up-bad-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await cli(['up', '--config', join(dir, 'nope.json')]);
  tt.equal(r.code, 1);
  tt.match(r.stderr, /raftkv up: BAD_CONFIG: .*nope\.json: cannot read: no such file/);
});
