/**
 * End-to-end test harness: real node processes (compiled JS), real sockets, real files.
 *
 * startCluster() writes a cluster.json with ports from the OS into a temp folder, starts every
 * node as `node dist/src/cli/raftkv.js node --id N --config F`, and registers a teardown that
 * SIGKILLs every process it started and removes the folder, also when the test fails. Everything
 * waits on conditions with deadlines (waitFor), never on bare sleeps.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import split2 from 'split2';
import { ensureCertificates } from '../../src/cluster/certificates.js';
import { findFreePorts } from '../../src/cluster/free-ports.js';
import { encodeCommand, RespReplyParser } from '../../src/protocol/resp.js';
import { parseInfo } from '../lib/parse-info.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/test/e2e -> dist/src/cli/raftkv.js */
export const CLI = resolve(here, '../../src/cli/raftkv.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled `raftkv` CLI once; resolves with its exit code and output (never rejects). */
export function cli(args: string[], timeoutMs = 20_000): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [CLI, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (err as unknown as { code: unknown }).code : 0;
      resolvePromise({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

export interface TestNode {
  id: number;
  host: string;
  listenHost?: string;
  port: number;
  peerPort: number;
}

export interface Tap {
  teardown(fn: () => unknown): void;
  comment(...args: unknown[]): void;
}

import { waitFor } from '../lib/wait-for.js';

export { waitFor };

/** How a test client reaches a secure cluster: the CA to trust (TLS) and the password to AUTH with. */
export interface ClientCreds {
  ca?: Buffer;
  password?: string;
  /** Where the client port is (default 127.0.0.1). */
  host?: string;
}

/** A connection to a client port on loopback, in TLS when `ca` is given. */
export function connectClient(port: number, ca?: Buffer, host = '127.0.0.1'): net.Socket {
  return ca ? tls.connect({ host, port, ca }) : net.connect({ host, port });
}

/**
 * One JSON request on a fresh connection; rejects on connection errors or after timeoutMs. With
 * a password, an auth request goes first and its reply is skipped. The default wait is well past
 * the node's own request deadline (3 s), so that on a loaded box the node's answer (TIMEOUT,
 * NOT_LEADER, …) is what a test sees, not the test giving up first.
 */
export function jsonRequest(port: number, req: Record<string, unknown>, timeoutMs = 10_000, { password, ca, host }: ClientCreds = {}): Promise<any> {
  return new Promise((resolvePromise, reject) => {
    const socket = connectClient(port, ca, host);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply from :${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    let skip = password === undefined ? 0 : 1;
    socket.pipe(split2()).on('data', (line: string) => {
      if (skip-- > 0) return;
      clearTimeout(timer);
      socket.destroy();
      try {
        resolvePromise(JSON.parse(line));
      } catch (e) {
        reject(e);
      }
    });
    const auth = password === undefined ? '' : JSON.stringify({ id: 0, op: 'auth', password }) + '\n';
    socket.write(auth + JSON.stringify({ id: 1, ...req }) + '\n');
  });
}

/**
 * The value of a read (get, exists, entries, …), asked again while the node answers with an error
 * or not at all: on a loaded box a linearizable read can time out or meet an election, and a read
 * changes nothing, so asking again is safe. Not for writes.
 */
export async function readValue(port: number, req: Record<string, unknown>, timeoutMs = 20_000): Promise<any> {
  const reply = await waitFor(`an ok reply to ${JSON.stringify(req)}`, async () => {
    const r = await jsonRequest(port, req);
    if (!r.ok) throw new Error(`${r.error?.code}: ${r.error?.message}`);
    return r;
  }, timeoutMs);
  return reply.value;
}

/**
 * `INFO [section]` as a RESP command on a fresh connection; the bulk reply parsed the way
 * redis-cli reads it (parseInfo throws on a line that breaks the layout).
 */
export function redisInfo(port: number, section?: string, timeoutMs = 10_000): Promise<Map<string, Map<string, string>>> {
  return new Promise((resolvePromise, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const parser = new RespReplyParser();
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      socket.destroy();
      settle();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`no INFO reply from :${port} within ${timeoutMs} ms`))), timeoutMs);
    socket.on('error', (e) => finish(() => reject(e)));
    socket.on('data', (chunk) => {
      const [reply] = parser.feed(chunk);
      if (reply === undefined) return;
      finish(() => {
        try {
          if (reply.type !== 'bulk' || reply.value === null) throw new Error(`INFO answered ${JSON.stringify(reply)}, not a bulk string`);
          resolvePromise(parseInfo(reply.value));
        } catch (e) {
          reject(e);
        }
      });
    });
    socket.write(encodeCommand(section === undefined ? ['INFO'] : ['INFO', section]));
  });
}

/**
 * What the caller of rawExchange waits for: a reply matching a pattern, at least `chars`
 * characters (for a reply the test then compares exactly), or the server closing the connection.
 * Silence is never taken as the end of a reply: on a loaded machine a reply can be late.
 */
export type ExchangeEnd = RegExp | { chars: number } | 'close';

/**
 * Sends `payload` raw and collects what comes back until `until` holds or the server closes the
 * connection (`closed` says which); rejects with what arrived if neither happens within
 * `timeoutMs`. `end` half-closes after sending; `ca` speaks TLS trusting that CA.
 */
export function rawExchange(
  port: number,
  payload: string | Buffer,
  until: ExchangeEnd,
  { timeoutMs = 10_000, end = false, ca = undefined as Buffer | undefined } = {},
): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const socket = connectClient(port, ca);
    let data = '';
    let settled = false;
    const finish = (closed: boolean, err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(hard);
      socket.destroy();
      if (err) reject(err);
      else resolvePromise({ data, closed });
    };
    const wanted = until === 'close' ? 'the connection closed' : until instanceof RegExp ? `a reply matching ${until}` : `${until.chars} characters`;
    const hard = setTimeout(() => finish(false, new Error(`raw exchange on port ${port}: waited ${timeoutMs} ms for ${wanted}, got ${JSON.stringify(data)}`)), timeoutMs);
    const done = () => (until === 'close' ? false : until instanceof RegExp ? until.test(data) : data.length >= until.chars);
    socket.on(ca ? 'secureConnect' : 'connect', () => {
      if (end) socket.end(payload);
      else socket.write(payload);
    });
    socket.on('data', (d) => {
      data += d.toString('utf8');
      if (done()) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', (e) => finish(false, e));
  });
}

export interface ClusterOptions {
  nodes?: number;
  /** Generous by default: tests share 2 cores with other tests. */
  electionTimeoutMs?: { min: number; max: number };
  heartbeatIntervalMs?: number;
  /** More cluster.json fields (snapshotEvery, readMode, ...). */
  extra?: Record<string, unknown>;
  /** cluster.json's client-port `limits` block. */
  limits?: Record<string, number>;
  /** Clients must AUTH with this password (written to a 0600 file named in `security`). */
  password?: string;
  /** More fields of cluster.json's `security` block. */
  security?: Record<string, unknown>;
  /** Certificates in `<dir>/certs` (raftkv certs), mutual TLS between peers, TLS on client ports. */
  secure?: boolean;
  /** Node i's host (and listenHost when given); 127.0.0.1 for every node by default. */
  addressOf?: (id: number) => { host: string; listenHost?: string };
}

export class TestCluster {
  readonly procs = new Map<number, ChildProcess>();
  readonly exits = new Map<number, Promise<number | null>>();

  constructor(
    readonly dir: string,
    readonly configPath: string,
    readonly nodes: TestNode[],
    /** The CA and password clients need, if the cluster is secure. */
    readonly creds: ClientCreds = {},
  ) {}

  node(id: number): TestNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  start(id: number): void {
    const prev = this.procs.get(id);
    if (prev && prev.exitCode === null && prev.signalCode === null) throw new Error(`node ${id} is already running`);
    const child = spawn(process.execPath, [CLI, 'node', '--id', String(id), '--config', this.configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d.toString()).length > 10_000 && (stderr = stderr.slice(-10_000)));
    this.procs.set(id, child);
    this.exits.set(id, new Promise((r) => child.once('exit', (code) => r(code))));
    (child as ChildProcess & { stderrText: () => string }).stderrText = () => stderr;
  }

  /** SIGKILL (crash) or SIGTERM (clean stop) one node and wait until it is gone. */
  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.procs.get(id);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill(signal);
    await this.exits.get(id);
  }

  killAllNow(): void {
    for (const p of this.procs.values()) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }

  async status(id: number): Promise<any | null> {
    try {
      const r = await jsonRequest(this.node(id).port, { op: 'status' }, 1000, { ...this.creds, host: this.node(id).host });
      return r.ok ? r.value : null;
    } catch {
      return null;
    }
  }

  /** The id of the node that all reachable nodes among `among` agree is leader, once they do. */
  async waitForLeader(among: number[] = this.nodes.map((n) => n.id), timeoutMs = 20_000): Promise<number> {
    return waitForAgreedLeader((id) => this.status(id), among, timeoutMs);
  }
}

/** The id of the node that all nodes in `among` agree is leader, once they do. */
export function waitForAgreedLeader(status: (id: number) => Promise<any | null>, among: number[], timeoutMs = 20_000): Promise<number> {
  return waitFor(`a leader among nodes ${among.join(',')}`, async () => {
    const sts = await Promise.all(among.map(status));
    const leaders = sts.filter((s) => s && s.role === 'leader');
    if (leaders.length !== 1) return 0;
    const id = leaders[0].id as number;
    // Every live node in `among` must know it (so that forwarding works).
    return sts.every((s) => s && s.leader === id) ? id : 0;
  }, timeoutMs);
}

export async function startCluster(t: Tap, opts: ClusterOptions = {}): Promise<TestCluster> {
  const n = opts.nodes ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-e2e-'));
  const ports = await findFreePorts(2 * n);
  const addressOf = opts.addressOf ?? (() => ({ host: '127.0.0.1' }));
  const nodes: TestNode[] = Array.from({ length: n }, (_, i) => ({ id: i + 1, ...addressOf(i + 1), port: ports[2 * i]!, peerPort: ports[2 * i + 1]! }));
  const configPath = join(dir, 'cluster.json');
  const security: Record<string, unknown> = { ...opts.security };
  if (opts.password !== undefined) {
    writeFileSync(join(dir, 'password'), opts.password + '\n', { mode: 0o600 });
    security.passwordFile = 'password';
  }
  let ca: Buffer | undefined;
  if (opts.secure) {
    await ensureCertificates(join(dir, 'certs'), nodes);
    ca = readFileSync(join(dir, 'certs', 'ca.crt'));
    Object.assign(security, { certDir: 'certs', clientTls: 'on' }, opts.security);
  }
  writeFileSync(
    configPath,
    JSON.stringify({
      nodes,
      electionTimeoutMs: opts.electionTimeoutMs ?? { min: 400, max: 800 },
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 50,
      dataDir: 'data',
      logDir: 'logs',
      ...opts.extra,
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(Object.keys(security).length > 0 ? { security } : {}),
    }),
  );
  const c = new TestCluster(dir, configPath, nodes, { ...(ca ? { ca } : {}), ...(opts.password !== undefined ? { password: opts.password } : {}) });
  t.teardown(async () => {
    c.killAllNow();
    await Promise.all([...c.exits.values()]);
    if (process.env.KEEP_E2E_DIR) t.comment(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  for (const node of nodes) c.start(node.id);
  return c;
}

/**
 * The last two lines of a supervised node's log after a clean stop: the node's own "stopped"
 * (it handled SIGTERM), then the supervisor's note of a zero exit (not the SIGKILL after the
 * stop deadline). Match against lastLogLines(file, 2).
 */
export const CLEAN_STOP_LOG_TAIL = [/\[node \d+\] stopped$/, /supervisor: node \d+ \(pid \d+\) exited, code 0$/];

export function lastLogLines(file: string, n: number): string[] {
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n);
}

/** Resident memory of a process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb[1]) * 1024;
}

/** Pids of processes (other than this one) whose command line mentions `text` (Linux /proc). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/**
 * SIGKILL every process whose command line mentions `text` (a test's temp folder) and wait until
 * they are gone: the teardown of tests whose processes run detached (a supervisor's nodes, a
 * bench suite's cluster), so a failing test leaves nothing behind.
 */
export async function killProcessesMentioning(text: string, timeoutMs = 5000): Promise<void> {
  for (const pid of processesMentioning(text)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await waitFor(`processes mentioning ${text} to exit`, () => processesMentioning(text).length === 0, timeoutMs);
}
