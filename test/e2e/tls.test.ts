/**
 * A secure cluster (mutual TLS between peers, TLS + AUTH for clients) against real processes:
 * redis-cli and redis-benchmark over TLS, and the attacks the peer port must refuse before a
 * single Raft message is read, each logged once, with the cluster unaffected:
 * a certificate of another CA, the client certificate used as a node, a member's certificate
 * saying hello as another member, plain TCP (with a hello that would pass without TLS).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import t from 'tap';
import { ensureCertificates } from '../../src/cluster/certificates.js';
import { jsonRequest, rawExchange, startCluster, waitFor } from './harness.js';

const PASSWORD = 'tls-test-password';

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Dials a peer port with TLS and `files` as the client's certificate; sends `lines` once secure; resolves with what came back when closed. */
function peerAttempt(port: number, files: { ca: Buffer; cert: Buffer; key: Buffer }, lines: string): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ...files, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, () => s.write(lines));
    let data = '';
    s.on('data', (d) => (data += d));
    s.on('error', () => {});
    s.on('close', () => resolve(data));
    setTimeout(() => s.destroy(), 10_000).unref();
  });
}

t.test('a secure cluster', async (t) => {
  const c = await startCluster(t, { nodes: 3, secure: true, password: PASSWORD });
  const certs = join(c.dir, 'certs');
  const ca = readFileSync(join(certs, 'ca.crt'));
  const leader = await c.waitForLeader();
  const follower = c.nodes.find((n) => n.id !== leader)!;
  const other = c.nodes.find((n) => n.id !== leader && n.id !== follower.id)!;
  const creds = { ca, password: PASSWORD };
  t.same(await jsonRequest(follower.port, { op: 'set', key: 'k', value: 'v' }, 5000, creds), { id: 1, ok: true, value: 'OK' }, 'a write over TLS through a follower');
  // A follower relays membership requests to the leader's client port itself: TLS with the cluster CA and AUTH (client-port-request.ts).
  const members = await jsonRequest(follower.port, { op: 'members' }, 5000, creds);
  t.match(members, { ok: true, value: [{ id: 1 }, { id: 2 }, { id: 3 }] }, 'a membership request through a follower, relayed over TLS with AUTH');
  const leaderLog = () => readFileSync(join(c.dir, 'logs', `node-${leader}.log`), 'utf8');
  const count = (what: string) => leaderLog().split(what).length - 1;

  await t.test('plain TCP to a TLS client port is refused', async (t) => {
    const before = count('TLS handshake refused');
    const r = await rawExchange(c.node(leader).port, 'PING\r\n', 'close');
    t.ok(r.closed);
    t.notOk(r.data.includes('PONG'));
    await waitFor('the refusal in the log', () => count('TLS handshake refused') === before + 1);
  });

  await t.test('redis-cli --tls --cacert and redis-benchmark --tls', async (t) => {
    for (const tool of ['redis-cli', 'redis-benchmark']) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return t.fail(`${tool} is not installed (.ci/run installs redis-tools)`);
    }
    const tlsArgs = (port: number) => ['--tls', '--cacert', join(certs, 'ca.crt'), '-h', '127.0.0.1', '-p', String(port)];
    const noauth = await run('redis-cli', [...tlsArgs(follower.port), 'GET', 'k']);
    t.equal(noauth.stdout.trim(), 'NOAUTH Authentication required.', 'without -a: NOAUTH');
    const got = await run('redis-cli', [...tlsArgs(follower.port), '--no-auth-warning', '-a', PASSWORD, 'GET', 'k']);
    t.same({ code: got.code, stdout: got.stdout }, { code: 0, stdout: 'v\n' }, `redis-cli reads over TLS: ${got.stderr}`);
    const bench = await run('redis-benchmark', [...tlsArgs(c.node(leader).port), '-a', PASSWORD, '-t', 'set,get', '-n', '2000', '-c', '8', '-q'], 120_000);
    t.equal(bench.code, 0, `redis-benchmark exits 0: ${bench.stderr}`);
    t.match(bench.stdout, /SET: [\d.]+ requests per second/);
    t.match(bench.stdout, /GET: [\d.]+ requests per second/);
  });

  await t.test('the peer port refuses impostors before any Raft message, each logged once', async (t) => {
    const { peerPort } = c.node(leader);
    const hello = (from: number) => JSON.stringify({ hello: { from, to: leader } }) + '\n';
    const term = (await c.status(leader)).term as number;
    const forged = JSON.stringify({ type: 'heartbeat', from: follower.id, to: leader, term: term + 100, commit: 0 }) + '\n';
    const files = (name: string, dir = certs) => ({ ca: readFileSync(join(dir, 'ca.crt')), cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) });

    // A certificate of another CA, for a member id and the right hosts.
    const strangerDir = mkdtempSync(join(tmpdir(), 'raftkv-stranger-'));
    t.teardown(() => rmSync(strangerDir, { recursive: true, force: true }));
    await ensureCertificates(strangerDir, c.nodes);
    let before = count('TLS handshake refused');
    await peerAttempt(peerPort, files(`node-${follower.id}`, strangerDir), hello(follower.id) + forged);
    await waitFor('the refusal of a foreign CA', () => count('TLS handshake refused') === before + 1);
    t.pass('another CA: refused in the handshake, logged once');

    // The client certificate used as a node.
    const asClient = await peerAttempt(peerPort, files('client'), hello(follower.id) + forged);
    t.match(asClient, /hello from node \d+, but the certificate is not a member's/);
    t.equal(count("but the certificate is not a member's"), 1, 'logged once');

    // A member's certificate (another member's) saying hello as the follower: a replayed or forged hello.
    const asOther = await peerAttempt(peerPort, files(`node-${other.id}`), hello(follower.id) + forged);
    t.match(asOther, new RegExp(`hello from node ${follower.id}, but the certificate is node ${other.id}'s`));
    t.equal(count(`but the certificate is node ${other.id}'s`), 1, 'logged once');

    // Plain TCP with a hello that the port would have taken without TLS.
    before = count('TLS handshake refused');
    await new Promise<void>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: peerPort }, () => s.write(hello(follower.id) + forged));
      s.on('error', () => {});
      s.on('data', () => {});
      s.on('close', () => resolve());
    });
    await waitFor('the refusal of plain TCP', () => count('TLS handshake refused') === before + 1);
    t.pass('plain TCP: refused in the handshake, logged once');

    // Nothing reached the core: same leader, same term, writes go on.
    const status = await c.status(leader);
    t.equal(status.role, 'leader');
    t.ok(status.term < term + 100, 'the forged term never got in');
    t.equal(await c.waitForLeader(), leader, 'leadership undisturbed');
    t.same(await jsonRequest(other.port, { op: 'set', key: 'after', value: '1' }, 5000, creds), { id: 1, ok: true, value: 'OK' });
  });
});
