/**
 * `raftkv up --secure` end to end: it makes the certificates and a 0600 password under the data
 * directory, writes a cluster file with the `security` block, and every tool that reads that file
 * works with no extra flag: `ctl status` (the supervisor asks the nodes), `set`/`get`/`del`/`cas`,
 * `status`, `bench`, and raft-tui's live source (monitor and shell). A client without the files gets nowhere. Every process is killed in
 * teardown, also when the test fails.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadClusterConfig } from '../../src/protocol/cluster-config.js';
import { LiveClusterSource } from '../../src/tui/live-cluster-source.js';
import { leaderOf } from '../../src/tui/model.js';
import { killProcessesMentioning, rawExchange, waitFor } from './harness.js';

const CLI = fileURLToPath(new URL('../../src/cli/raftkv.js', import.meta.url));

function cli(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (err as unknown as { code: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

t.test('raftkv up --secure: every tool works from the cluster file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-secure-'));
  const data = join(dir, 'data');
  const clusterFile = join(data, 'cluster.json');
  const up = spawn(process.execPath, [CLI, 'up', '--secure', '--nodes', '3', '--data-dir', data, '--log-dir', join(dir, 'logs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  up.stdout.on('data', (d: Buffer) => (out += d));
  up.stderr.on('data', (d: Buffer) => (out += d));
  const upExit = new Promise((resolve) => up.once('exit', resolve));
  t.teardown(async () => {
    if (up.exitCode === null && up.signalCode === null) up.kill('SIGKILL');
    await killProcessesMentioning(dir);
    await upExit;
    rmSync(dir, { recursive: true, force: true });
  });

  await waitFor('raftkv up to report the cluster', () => out.includes('Ctrl-C stops the cluster.') || up.exitCode !== null, 60_000);
  t.equal(up.exitCode, null, `raftkv up is running: ${out}`);
  t.match(out, /made .*certs\/ca\.crt.*password/, 'says what it made');
  t.match(out, /security: peers mutual TLS 1\.3; clients TLS \+ AUTH/);
  t.equal(statSync(join(data, 'password')).mode & 0o777, 0o600, 'the password file is 0600');
  const cfg = JSON.parse(readFileSync(clusterFile, 'utf8'));
  t.match(cfg.security, { certDir: join(data, 'certs'), clientTls: 'on', passwordFile: join(data, 'password') }, 'the cluster file names the files');

  await waitFor('ctl status to show a leader', async () => {
    const r = await cli(['ctl', 'status', '--json', '--data-dir', data]);
    return r.code === 0 && (JSON.parse(r.stdout) as { role: string | null }[]).some((row) => row.role === 'leader');
  }, 60_000);
  t.pass('ctl status: the supervisor reaches the nodes over TLS with the password');

  const target = ['--config', clusterFile, '--timeout', '15000'];
  t.same(await cli(['set', 'k', 'v1', ...target]), { code: 0, stdout: 'OK\n', stderr: '' }, 'set');
  t.same(await cli(['get', 'k', ...target]), { code: 0, stdout: 'v1\n', stderr: '' }, 'get');
  t.equal((await cli(['cas', 'k', 'v1', 'v2', ...target])).code, 0, 'cas');
  t.same(await cli(['get', 'k', ...target]), { code: 0, stdout: 'v2\n', stderr: '' });
  t.equal((await cli(['del', 'k', ...target])).code, 0, 'del');
  const status = await cli(['status', ...target]);
  t.equal(status.code, 0, `status: ${status.stderr}`);
  t.match(status.stdout, /leader/);
  const bench = await cli(['bench', '--config', clusterFile, '-t', 'set,get', '-n', '300', '-c', '4', '-q'], 120_000);
  t.equal(bench.code, 0, `bench: ${bench.stderr}`);
  t.match(bench.stdout, /SET/);

  // raft-tui's live source (its monitor and its shell) from the same cluster file.
  const source = new LiveClusterSource({ config: loadClusterConfig(clusterFile) });
  t.teardown(() => source.close());
  await waitFor('raft-tui to show a leader', () => leaderOf(source.getSnapshot().nodes), 30_000);
  t.same(await source.execute(['SET', 'tui', 'yes']), { type: 'simple', value: 'OK' }, "raft-tui's shell writes");
  t.same(await source.execute(['GET', 'tui']), { type: 'bulk', value: 'yes' });

  // Without the files: a plain TCP client is refused.
  const port = cfg.nodes[0].port as number;
  const plain = await rawExchange(port, 'PING\r\n', 'close');
  t.notOk(plain.data.includes('PONG'), 'plain TCP gets no answer');
});
