/**
 * cluster.json: the addresses of every node and the cluster's timing (DESIGN.md "cluster.json").
 *
 * The file comes from a person, so it is untrusted input: every field is checked and a mistake is
 * refused with the field's path and the reason (`cluster.json: nodes[1].port: must be an integer
 * 1..65535, got "abc"`), never half-accepted. Unknown fields are refused too, so a typo
 * (`heartbeatIntervalMS`) cannot silently fall back to a default.
 *
 * Invariants of a ClusterConfig returned from here:
 *   - nodes is non-empty; ids are unique positive integers; nodes are in file order;
 *   - no two listeners (client or peer port, of any node; bound on listenHost ?? host) share a
 *     port on hosts that may be the same: one name or address (case and IPv6 spelling aside), two loopback names or addresses,
 *     or a wildcard (0.0.0.0, ::) and anything (listen-address.ts; no DNS);
 *   - no two nodes are reached at the same host and port (host, the advertised address);
 *   - 0 < electionTimeoutMs.min <= electionTimeoutMs.max and 0 < heartbeatIntervalMs < min;
 *   - readMode is 'readindex' (the default) or 'lease'; 0 <= maxClockDrift < 0.5 (default 0.1);
 *   - snapshotEvery >= 0 (0: only on demand; default 10000), snapshotTrailing >= 0 (default 5000);
 *   - dataDir and logDir are absolute.
 */
import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { RaftKvError } from './errors.js';
import { listenClash, showHostPort } from './listen-address.js';

/** Where one node is reached, and where it listens when that differs. */
export interface NodeAddress {
  /** Positive integer, unique in the cluster; the Raft node id. */
  id: number;
  /** Host name or IP that clients and peers connect to (the advertised address). */
  host: string;
  /**
   * The address the node binds its client and peer ports to, when that differs from `host`
   * (0.0.0.0, a private interface behind NAT or in a container). Absent: the node binds `host`.
   */
  listenHost?: string;
  /** Client port (JSON, RESP2 and inline dialects). */
  port: number;
  /** Raft peer port. */
  peerPort: number;
  /** Prometheus metrics over HTTP (`GET /metrics`); absent = off. */
  metricsPort?: number;
}

/** How linearizable reads are confirmed; see RaftConfig.readMode in src/node/raft/types.ts. */
export type ReadMode = 'readindex' | 'lease';
export const READ_MODES: readonly ReadMode[] = ['readindex', 'lease'];
export const DEFAULT_READ_MODE: ReadMode = 'readindex';
export const DEFAULT_MAX_CLOCK_DRIFT = 0.1;
/** Applied entries between automatic snapshots (etcd: --snapshot-count). */
export const DEFAULT_SNAPSHOT_EVERY = 10_000;
/** As etcd's SnapshotCatchUpEntries. */
export const DEFAULT_SNAPSHOT_TRAILING = 5_000;

export interface ClusterConfig {
  nodes: NodeAddress[];
  /** Election timeout range in milliseconds; each timeout is drawn from [min, max] (§5.2). */
  electionTimeoutMs: { min: number; max: number };
  /** Leader heartbeat period in milliseconds; below electionTimeoutMs.min. */
  heartbeatIntervalMs: number;
  /**
   * 'readindex' (default): a leader confirms reads with a heartbeat round (thesis §6.4).
   * 'lease': a leader a majority heard from recently serves reads at once (thesis §6.4.1).
   * Every node must run with the same value.
   */
  readMode: ReadMode;
  /** Lease mode: how far (as a fraction, 0.1 = ±10%) any node's clock may run fast or slow. */
  maxClockDrift: number;
  /** Applied entries between automatic snapshots; 0 = only on demand (SAVE, BGSAVE, ctl snapshot). */
  snapshotEvery: number;
  /** Entries kept in the log before a snapshot, so a follower slightly behind catches up from the log. */
  snapshotTrailing: number;
  /** Absolute; each node stores its WAL under `<dataDir>/node-<id>/`. */
  dataDir: string;
  /** Absolute; node logs and client.log live here. */
  logDir: string;
  /**
   * Client-port limits each node enforces, as Redis's settings of the same job (maxclients,
   * client-output-buffer-limit); a field left out takes the node's default.
   */
  limits?: ClientLimitsConfig;
  /** Off when absent: peers and clients in clear text, no password (a trusted network only). */
  security?: SecurityConfig;
}

export type ClientTlsMode = 'off' | 'on' | 'mutual';
export const CLIENT_TLS_MODES: readonly ClientTlsMode[] = ['off', 'on', 'mutual'];

/**
 * The `security` block. With `certDir`, peer ports speak mutual TLS 1.3 with the certificates in it
 * (`ca.crt`, `node-<id>.crt|key`, and `client.crt|key` for tools); `clientTls` says whether the
 * client port speaks TLS (`mutual`: clients must show a certificate of the cluster CA too); with
 * `passwordFile`, clients must AUTH with the password in it (a file of mode 0600).
 */
export interface SecurityConfig {
  /** Absolute. */
  certDir?: string;
  clientTls: ClientTlsMode;
  /** Absolute. */
  passwordFile?: string;
  /** How long a client connection may stay unauthenticated when a password is set. */
  authTimeoutMs: number;
}
export const SECURITY_FIELDS = ['certDir', 'clientTls', 'passwordFile', 'authTimeoutMs'] as const;
export const DEFAULT_AUTH_TIMEOUT_MS = 10_000;

export interface ClientLimitsConfig {
  /** Open client connections per node. */
  maxClients?: number;
  /** Replies outstanding per connection before it stops being read. */
  maxPending?: number;
  /** Unsent reply bytes per connection before it is disconnected. */
  maxOutputBytes?: number;
}
export const LIMIT_FIELDS = ['maxClients', 'maxPending', 'maxOutputBytes'] as const;

/** Every field the file may hold (docs/cluster-json.md lists each; a test checks). */
export const TOP_LEVEL_FIELDS = ['nodes', 'electionTimeoutMs', 'heartbeatIntervalMs', 'readMode', 'maxClockDrift', 'snapshotEvery', 'snapshotTrailing', 'dataDir', 'logDir', 'limits', 'security'] as const;
export const NODE_FIELDS = ['id', 'host', 'listenHost', 'port', 'peerPort', 'metricsPort'] as const;
export const ELECTION_FIELDS = ['min', 'max'] as const;
/** A cluster of more nodes than this is a mistake in the file, not a deployment. */
const MAX_NODES = 99;

/** Renders a bad value for an error message, short enough to read. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects the source name so every error names the file. */
class Checker {
  constructor(private readonly source: string) {}

  fail(field: string, reason: string): never {
    throw new RaftKvError('BAD_CONFIG', `${this.source}: ${field}: ${reason}`);
  }

  object(value: unknown, field: string, allowed: readonly string[]): Record<string, unknown> {
    if (!isPlainObject(value)) this.fail(field, `must be an object, got ${show(value)}`);
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.fail(field === '(top level)' ? key : `${field}.${key}`, `unknown field (expected one of: ${allowed.join(', ')})`);
      }
    }
    return value;
  }

  present(obj: Record<string, unknown>, key: string, field: string): unknown {
    if (!Object.hasOwn(obj, key)) this.fail(field, 'missing');
    return obj[key];
  }

  int(value: unknown, field: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
      this.fail(field, `must be an integer ${range}, got ${show(value)}`);
    }
    return value;
  }

  nonEmptyString(value: unknown, field: string): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(field, `must be a non-empty string, got ${show(value)}`);
    return value;
  }
}

/**
 * Validates a parsed cluster.json. `baseDir` is the folder relative dataDir/logDir resolve against
 * (the file's folder); `source` names the file in error messages. Throws RaftKvError BAD_CONFIG.
 */
export function parseClusterConfig(raw: unknown, baseDir: string, source = 'cluster.json'): ClusterConfig {
  // The explicit type lets TypeScript narrow after c.fail() (a `never` method).
  const c: Checker = new Checker(source);
  const top = c.object(raw, '(top level)', TOP_LEVEL_FIELDS);

  const nodesRaw = c.present(top, 'nodes', 'nodes');
  if (!Array.isArray(nodesRaw)) c.fail('nodes', `must be an array of nodes, got ${show(nodesRaw)}`);
  if (nodesRaw.length === 0) c.fail('nodes', 'must list at least one node');
  if (nodesRaw.length > MAX_NODES) c.fail('nodes', `at most ${MAX_NODES} nodes, got ${nodesRaw.length}`);

  const nodes: NodeAddress[] = [];
  const idOwner = new Map<number, number>();
  /** Every listener so far (client and peer ports, on their bind address), to name both sides of a clash. */
  const listeners: Array<{ field: string; host: string; port: number }> = [];
  /** Every advertised address so far: two nodes reached at one host:port cannot both be there. */
  const reached: Array<{ field: string; host: string; port: number }> = [];
  nodesRaw.forEach((n: unknown, i: number) => {
    const at = `nodes[${i}]`;
    const obj = c.object(n, at, NODE_FIELDS);
    const id = c.int(c.present(obj, 'id', `${at}.id`), `${at}.id`, 1, Number.MAX_SAFE_INTEGER);
    const host = c.nonEmptyString(c.present(obj, 'host', `${at}.host`), `${at}.host`);
    const listenHost = Object.hasOwn(obj, 'listenHost') ? c.nonEmptyString(obj.listenHost, `${at}.listenHost`) : undefined;
    const port = c.int(c.present(obj, 'port', `${at}.port`), `${at}.port`, 1, 65535);
    const peerPort = c.int(c.present(obj, 'peerPort', `${at}.peerPort`), `${at}.peerPort`, 1, 65535);
    const metricsPort = Object.hasOwn(obj, 'metricsPort') ? c.int(obj.metricsPort, `${at}.metricsPort`, 1, 65535) : undefined;
    const firstWithId = idOwner.get(id);
    if (firstWithId !== undefined) c.fail(`${at}.id`, `duplicate id ${id} (also nodes[${firstWithId}].id)`);
    idOwner.set(id, i);
    // The error says which address it is about: the node binds listenHost when given, and the
    // others reach it at host, so a clash of either kind names the field it comes from.
    const bind = listenHost ?? host;
    const bindNote = listenHost === undefined ? '' : ` (${at}.listenHost, where this node listens)`;
    const ports: Array<readonly [string, number]> = [['port', port], ['peerPort', peerPort]];
    if (metricsPort !== undefined) ports.push(['metricsPort', metricsPort]);
    for (const [field, p] of ports) {
      for (const other of listeners) {
        const why = other.port === p ? listenClash(bind, other.host) : null;
        if (why !== null) {
          c.fail(`${at}.${field}`, `port ${p} on ${bind}${bindNote} is already used by ${other.field} (${showHostPort(other.host, p)})${why ? `: ${why}` : ''}`);
        }
      }
      listeners.push({ field: `${at}.${field}`, host: bind, port: p });
      if (listenHost !== undefined) {
        const twin = reached.find((other) => other.port === p && other.host.toLowerCase() === host.toLowerCase());
        if (twin) c.fail(`${at}.${field}`, `${showHostPort(host, p)} (${at}.host, where the others reach this node) is also where ${twin.field} is reached`);
      }
      reached.push({ field: `${at}.${field}`, host, port: p });
    }
    nodes.push({ id, host, ...(listenHost === undefined ? {} : { listenHost }), port, peerPort, ...(metricsPort === undefined ? {} : { metricsPort }) });
  });

  const electionRaw = c.present(top, 'electionTimeoutMs', 'electionTimeoutMs');
  const election = c.object(electionRaw, 'electionTimeoutMs', ELECTION_FIELDS);
  const min = c.int(c.present(election, 'min', 'electionTimeoutMs.min'), 'electionTimeoutMs.min', 1, 3_600_000);
  const max = c.int(c.present(election, 'max', 'electionTimeoutMs.max'), 'electionTimeoutMs.max', 1, 3_600_000);
  if (max < min) c.fail('electionTimeoutMs.max', `must be >= electionTimeoutMs.min (${min}), got ${max}`);

  const heartbeat = c.int(c.present(top, 'heartbeatIntervalMs', 'heartbeatIntervalMs'), 'heartbeatIntervalMs', 1, 3_600_000);
  if (heartbeat >= min) c.fail('heartbeatIntervalMs', `must be below electionTimeoutMs.min (${min}), got ${heartbeat}`);

  let readMode: ReadMode = DEFAULT_READ_MODE;
  if (Object.hasOwn(top, 'readMode')) {
    const v = top.readMode;
    if (!(READ_MODES as readonly unknown[]).includes(v)) c.fail('readMode', `must be one of ${READ_MODES.map((m) => `"${m}"`).join(', ')}, got ${show(v)}`);
    readMode = v as ReadMode;
  }
  let maxClockDrift = DEFAULT_MAX_CLOCK_DRIFT;
  if (Object.hasOwn(top, 'maxClockDrift')) {
    const v = top.maxClockDrift;
    // Past 0.5 the lease would be a third of the election timeout or less: a sign of a typo (10 for 10%).
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 0.5) c.fail('maxClockDrift', `must be a number >= 0 and < 0.5 (0.1 = clocks within ±10%), got ${show(v)}`);
    maxClockDrift = v;
  }

  const snapshotEvery = Object.hasOwn(top, 'snapshotEvery') ? c.int(top.snapshotEvery, 'snapshotEvery', 0, 1_000_000_000) : DEFAULT_SNAPSHOT_EVERY;
  const snapshotTrailing = Object.hasOwn(top, 'snapshotTrailing') ? c.int(top.snapshotTrailing, 'snapshotTrailing', 0, 1_000_000_000) : DEFAULT_SNAPSHOT_TRAILING;

  const dataDir = c.nonEmptyString(c.present(top, 'dataDir', 'dataDir'), 'dataDir');
  const logDir = c.nonEmptyString(c.present(top, 'logDir', 'logDir'), 'logDir');

  let limits: ClientLimitsConfig | undefined;
  if (Object.hasOwn(top, 'limits')) {
    const obj = c.object(top.limits, 'limits', LIMIT_FIELDS);
    limits = {};
    for (const f of LIMIT_FIELDS) if (Object.hasOwn(obj, f)) limits[f] = c.int(obj[f], `limits.${f}`, 1, Number.MAX_SAFE_INTEGER);
  }

  let security: SecurityConfig | undefined;
  if (Object.hasOwn(top, 'security')) {
    const obj = c.object(top.security, 'security', SECURITY_FIELDS);
    const path = (f: 'certDir' | 'passwordFile') => {
      const v = c.nonEmptyString(obj[f], `security.${f}`);
      return isAbsolute(v) ? v : resolve(baseDir, v);
    };
    let clientTls: ClientTlsMode = 'off';
    if (Object.hasOwn(obj, 'clientTls')) {
      if (!(CLIENT_TLS_MODES as readonly unknown[]).includes(obj.clientTls)) c.fail('security.clientTls', `must be one of ${CLIENT_TLS_MODES.map((m) => `"${m}"`).join(', ')}, got ${show(obj.clientTls)}`);
      clientTls = obj.clientTls as ClientTlsMode;
    }
    if (clientTls !== 'off' && !Object.hasOwn(obj, 'certDir')) c.fail('security.clientTls', `"${clientTls}" needs security.certDir (the certificates)`);
    security = {
      ...(Object.hasOwn(obj, 'certDir') ? { certDir: path('certDir') } : {}),
      clientTls,
      ...(Object.hasOwn(obj, 'passwordFile') ? { passwordFile: path('passwordFile') } : {}),
      authTimeoutMs: Object.hasOwn(obj, 'authTimeoutMs') ? c.int(obj.authTimeoutMs, 'security.authTimeoutMs', 1, 3_600_000) : DEFAULT_AUTH_TIMEOUT_MS,
    };
  }

  return {
    ...(limits ? { limits } : {}),
    ...(security ? { security } : {}),
    nodes,
    electionTimeoutMs: { min, max },
    heartbeatIntervalMs: heartbeat,
    readMode,
    maxClockDrift,
    snapshotEvery,
    snapshotTrailing,
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(baseDir, dataDir),
    logDir: isAbsolute(logDir) ? logDir : resolve(baseDir, logDir),
  };
}

/** Reads and validates a cluster file. Unreadable, empty or non-JSON files are BAD_CONFIG too. */
export function loadClusterConfig(path: string): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (err as Error).message;
    throw new RaftKvError('BAD_CONFIG', `${path}: cannot read: ${reason}`);
  }
  if (text.trim() === '') throw new RaftKvError('BAD_CONFIG', `${path}: the file is empty`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RaftKvError('BAD_CONFIG', `${path}: not valid JSON: ${(err as Error).message}`);
  }
  return parseClusterConfig(raw, dirname(resolve(path)), path);
}

/**
 * Writes `cfg` as a cluster file (directories as given, i.e. absolute), atomically: a temp file
 * renamed into place, so a reader never sees half a file. Creates the folder if needed.
 */
export function writeClusterConfig(path: string, cfg: ClusterConfig): void {
  const body = {
    nodes: cfg.nodes.map(({ id, host, listenHost, port, peerPort, metricsPort }) => ({ id, host, ...(listenHost === undefined ? {} : { listenHost }), port, peerPort, ...(metricsPort === undefined ? {} : { metricsPort }) })),
    electionTimeoutMs: { min: cfg.electionTimeoutMs.min, max: cfg.electionTimeoutMs.max },
    heartbeatIntervalMs: cfg.heartbeatIntervalMs,
    readMode: cfg.readMode,
    maxClockDrift: cfg.maxClockDrift,
    snapshotEvery: cfg.snapshotEvery,
    snapshotTrailing: cfg.snapshotTrailing,
    dataDir: cfg.dataDir,
    logDir: cfg.logDir,
  };
  const nodeLines = body.nodes.map((n) => `    ${JSON.stringify(n)}`).join(',\n');
  const text =
    `{\n  "nodes": [\n${nodeLines}\n  ],\n` +
    `  "electionTimeoutMs": ${JSON.stringify(body.electionTimeoutMs)},\n` +
    `  "heartbeatIntervalMs": ${body.heartbeatIntervalMs},\n` +
    `  "readMode": ${JSON.stringify(body.readMode)},\n` +
    `  "maxClockDrift": ${body.maxClockDrift},\n` +
    `  "snapshotEvery": ${body.snapshotEvery},\n` +
    `  "snapshotTrailing": ${body.snapshotTrailing},\n` +
    `  "dataDir": ${JSON.stringify(body.dataDir)},\n` +
    `  "logDir": ${JSON.stringify(body.logDir)}` +
    (cfg.limits ? `,\n  "limits": ${JSON.stringify(cfg.limits)}` : '') +
    (cfg.security ? `,\n  "security": ${JSON.stringify(cfg.security)}` : '') +
    '\n}\n';
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
