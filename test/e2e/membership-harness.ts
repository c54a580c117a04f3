/**
 * Membership helpers for the e2e tests on top of harness.ts: nodes started with
 * `raftkv node --join` (registered with the TestCluster, so its teardown kills them too), and
 * waiting for the membership the nodes report.
 */
import { spawn } from 'node:child_process';
import { findFreePorts } from '../../src/cluster/free-ports.js';
import { CLI, jsonRequest, waitFor, type TestCluster, type TestNode } from './harness.js';

/** New addresses for nodes that will join (ports from the OS). */
export async function newNodes(ids: number[]): Promise<TestNode[]> {
  const ports = await findFreePorts(2 * ids.length);
  return ids.map((id, i) => ({ id, host: '127.0.0.1', port: ports[2 * i]!, peerPort: ports[2 * i + 1]! }));
}

/**
 * Starts `node` with `--join` through `seed`'s client port, with the cluster file for timing and
 * directories. Its process joins c.procs, so c.kill() and the teardown handle it like the others.
 */
export function startJoiner(c: TestCluster, node: TestNode, seed: number): void {
  if (!c.nodes.some((n) => n.id === node.id)) c.nodes.push(node);
  const s = c.node(seed);
  const args = [CLI, 'node', '--id', String(node.id), '--join', `${s.host}:${s.port}`, '--host', node.host, '--port', String(node.port), '--peer-port', String(node.peerPort), '--config', c.configPath];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  c.procs.set(node.id, child);
  c.exits.set(node.id, new Promise((r) => child.once('exit', (code) => r(code))));
}

export interface MemberRow {
  id: number;
  host: string;
  port: number;
  peerPort: number;
  role: 'voter' | 'learner';
}

/** A membership request through node `via`; the JSON reply as is. */
export function memberRequest(c: TestCluster, via: number, req: Record<string, unknown>, timeoutMs = 8000): Promise<any> {
  return jsonRequest(c.node(via).port, req, timeoutMs);
}

/** `{voters, learners}` as the `members` op through node `via` reports them (null: no answer). */
export async function roles(c: TestCluster, via: number): Promise<{ voters: number[]; learners: number[] } | null> {
  const r = await memberRequest(c, via, { op: 'members' }, 2000).catch(() => null);
  if (!r?.ok) return null;
  const rows = r.value as MemberRow[];
  return { voters: rows.filter((m) => m.role === 'voter').map((m) => m.id), learners: rows.filter((m) => m.role === 'learner').map((m) => m.id) };
}

/** Waits until every node of `among` has `voters` (and no learners) in force (its status). */
export async function waitForVoters(c: TestCluster, among: number[], voters: number[], timeoutMs = 30_000): Promise<void> {
  const want = JSON.stringify(voters);
  await waitFor(`nodes ${among.join(',')} to have voters [${voters.join(',')}] and no learners`, async () => {
    const sts = await Promise.all(among.map((id) => c.status(id)));
    return sts.every((s) => s && JSON.stringify(s.voters) === want && s.learners.length === 0);
  }, timeoutMs);
}
