/**
 * The node process: `raftkv node --id N --config cluster.json`.
 *
 * Wires the pieces together: the WAL (recovery first), the consensus core, the peer transport, the
 * KV state machine, the driver that runs the Ready loop, and the client port. SIGTERM/SIGINT stop
 * it cleanly: no new work, the fsync in flight finishes, sockets close, the WAL closes.
 */
import { join } from 'node:path';
import type { NodeAddress } from '../protocol/cluster-config.js';
import { membersOf } from '../protocol/membership-addresses.js';
import type { Membership } from '../protocol/raft-messages.js';
import type { ClientPortCredentials } from './client-port-request.js';
import { joinCluster } from './join-cluster.js';
import { MembershipRequests } from './membership-requests.js';
import { nodeIdentity, type JoinOptions } from './node-identity.js';
import { RaftKvError } from '../protocol/errors.js';
import { ClientServer } from './client-server.js';
import { realClock } from './clock.js';
import type { MetricsServer } from './metrics.js';
import { nodeFacts } from './node-facts.js';
import type { InfoFacts } from '../protocol/redis-info.js';
import { NodeStats } from './node-stats.js';
import { timedStorage } from './timed-storage.js';
import { fileLogger, type Logger } from './logger.js';
import { PeerFaults } from './peer-faults.js';
import { listenForFaults } from './peer-faults-ipc.js';
import { readPasswordFile } from './password-file.js';
import { loadNodeTls } from './tls-material.js';
import { PeerTransport, type PeerAddress } from './peer-transport.js';
import { RaftDriver } from './raft-driver.js';
import { RawNode } from './raft/raw-node.js';
import { recoverNodeState } from './recover-state.js';
import { SnapshotReceiver } from './snapshot-receiver.js';
import { SnapshotSender } from './snapshot-sender.js';
import { Snapshotter } from './snapshotter.js';
import { removedMemberGraceMs, timingFromConfig } from './timing.js';

export interface RunNodeOptions {
  id: number;
  /** The cluster file; optional with `join`. */
  configPath?: string;
  /** Join a running cluster instead of being one of the cluster file's nodes (node-identity.ts). */
  join?: JoinOptions;
}

export interface RunningNode {
  stop(): Promise<void>;
  /** Resolves when the node has stopped (by stop() or a signal). */
  stopped: Promise<void>;
}

export async function runNode(opts: RunNodeOptions): Promise<void> {
  const node = await startNode(opts, { handleSignals: true });
  await node.stopped;
}

export async function startNode(opts: RunNodeOptions, { handleSignals = false } = {}): Promise<RunningNode> {
  const { cfg, me, bootstrap } = nodeIdentity(opts.id, opts.configPath, opts.join);
  const log: Logger = fileLogger(join(cfg.logDir, `node-${me.id}.log`), {
    prefix: `[node ${me.id}] `,
    // In a terminal, also show the log; under the supervisor stderr already goes to the log file.
    ...(process.stderr.isTTY ? { mirror: process.stderr } : {}),
  });
  // Read before anything opens: a bad password file stops the node with the reason, nothing else.
  const password = cfg.security?.passwordFile ? readPasswordFile(cfg.security.passwordFile) : null;
  const certDir = cfg.security?.certDir;
  const tls = certDir ? loadNodeTls(certDir, me.id) : null;
  const clientTls = cfg.security?.clientTls ?? 'off';
  const timing = timingFromConfig(cfg);
  log.info(`starting: client ${me.host}:${me.port}, peers ${me.host}:${me.peerPort}${me.listenHost === undefined ? '' : ` (listening on ${me.listenHost})`}, pid ${process.pid}, tick ${timing.tickMs} ms, election ${timing.electionTicksMin}-${timing.electionTicksMax} ticks, heartbeat ${timing.heartbeatTicks} ticks, reads by ${cfg.readMode === 'lease' ? `leader lease (clock drift ±${cfg.maxClockDrift * 100}%)` : 'ReadIndex'}, peers ${tls ? 'mutual TLS 1.3' : 'in clear text'}, clients ${clientTls === 'off' ? 'in clear text' : `TLS${clientTls === 'mutual' ? ' with client certificates' : ''}`}${password ? ' with AUTH' : ''}`);

  const dataDir = join(cfg.dataDir, `node-${me.id}`);
  let recovered;
  try {
    recovered = await recoverNodeState(dataDir, log, { addresses: bootstrap.addresses });
  } catch (err) {
    log.error(`cannot recover the state in ${dataDir}: ${(err as Error).message}`);
    throw err;
  }
  const { wal, initial, sm } = recovered;

  const pipelineDepth = pipelineDepthFromEnv(process.env.RAFTKV_PIPELINE_DEPTH);
  const raw = new RawNode(
    {
      id: me.id,
      peers: bootstrap.voters,
      learners: bootstrap.learners,
      addresses: bootstrap.addresses,
      electionTicksMin: timing.electionTicksMin,
      electionTicksMax: timing.electionTicksMax,
      heartbeatTicks: timing.heartbeatTicks,
      readMode: cfg.readMode,
      maxClockDrift: cfg.maxClockDrift,
      // Randomness lives out here; the core only calls it.
      random: Math.random,
    },
    initial,
    { maxPendingReadies: pipelineDepth },
  );
  const stats = new NodeStats();
  let fatal: ((err: Error) => void) | null = null;
  // Peer connections follow the membership in force (the core's, from its log and snapshot);
  // a joining node also talks to the members its seed named until a config entry includes it.
  let seedPeers: PeerAddress[] = [];
  const peersOf = (m: Membership): PeerAddress[] => {
    const peers: PeerAddress[] = membersOf(m);
    const inside = peers.some((p) => p.id === me.id);
    return inside ? peers : [...peers, ...seedPeers.filter((s) => !peers.some((p) => p.id === s.id))];
  };
  const onMembership = (m: Membership) => {
    const peers = peersOf(m);
    transport.setPeers(peers);
    faults.setPeers(peers.map((p) => p.id));
  };
  const transport = new PeerTransport({
    self: me,
    peers: peersOf(raw.membership()),
    log,
    onMessage: (m) => faults.receive(m),
    tls,
    removedGraceMs: removedMemberGraceMs(cfg),
  });
  // Between driver and transport: the partitions and delays the supervisor orders (ctl isolate...).
  const faults = new PeerFaults({
    self: me.id,
    peers: peersOf(raw.membership()).map((p) => p.id),
    send: (messages) => transport.send(messages),
    deliver: (m) => driver.step(m),
  });
  const snapshotter = new Snapshotter({
    dir: dataDir,
    sm,
    raw,
    wal,
    log,
    bootstrap,
    every: cfg.snapshotEvery,
    trailing: cfg.snapshotTrailing,
    existing: recovered.snapshots,
  });
  const sender = new SnapshotSender({
    self: me.id,
    log,
    newest: () => snapshotter.newest,
    term: () => raw.status().term,
    send: (ms) => transport.send(ms),
    backlog: (to) => transport.backlog(to),
    onDone: (to, ok) => driver.snapshotSent(to, ok),
  });
  const receiver = new SnapshotReceiver({
    self: me.id,
    dir: dataDir,
    log,
    term: () => raw.status().term,
    deliver: (m, received) => driver.deliverSnapshot(m, received),
    knownAddresses: () => ({ ...bootstrap.addresses, ...raw.membership().addresses }),
  });
  const driver = new RaftDriver({
    nodeId: me.id,
    pipelineDepth: pipelineDepth,
    maxCatchUpTicks: 2 * timing.electionTicksMax,
    raw,
    // Timed for INFO persistence and the fsync histogram.
    storage: timedStorage(wal, (ms) => stats.fsync(ms)),
    transport: faults,
    sm,
    log,
    tickMs: timing.tickMs,
    onFatal: (err) => fatal?.(err),
    snapshots: { dir: dataDir, snapshotter, sender, receiver },
    clock: realClock,
    onMembership,
  });
  // With a secure client port, relaying and joining show what any client shows: TLS and AUTH.
  const credentials: ClientPortCredentials = { tls: clientTls !== 'off' ? tls : null, password };
  const membershipRequests = new MembershipRequests({ self: me.id, driver, log, credentials, timeoutMs: 5000 });
  /** The members in force, as cluster.json-style addresses (INFO, status, RAFT.INFO). */
  const memberNodes = (): NodeAddress[] => membersOf(raw.membership()).map(({ role: _, ...n }) => (n.id === me.id ? me : n));
  const startedAt = Date.now();
  const server = new ClientServer({
    host: me.listenHost ?? me.host,
    port: me.port,
    driver,
    sm,
    log,
    stats,
    ...(cfg.limits ? { limits: cfg.limits } : {}),
    password,
    membership: membershipRequests,
    tls: tls && clientTls !== 'off' ? { material: tls, mode: clientTls } : null,
    ...(cfg.security ? { authTimeoutMs: cfg.security.authTimeoutMs } : {}),
    facts: (): InfoFacts =>
      nodeFacts({
        me,
        nodes: memberNodes(),
        membership: raw.membership(),
        startedAt,
        walDir: dataDir,
        driver,
        sm,
        stats,
        faults,
        peerStats: () => transport.stats(),
        walCounters: () => wal.counters,
        connectedClients: (): number => server.connections,
      }),
    info: () => ({ id: me.id, pid: process.pid, uptimeMs: Date.now() - startedAt, clientPort: me.port, peerPort: me.peerPort, host: me.host, nodes: memberNodes(), peers: transport.stats(), links: faults.links(), faults: faults.settings(), faultCounters: { ...faults.counters }, wal: wal.counters, walBytes: wal.diskBytes }),
  });

  let metrics: MetricsServer | null = null;
  try {
    await transport.start();
    await server.start();
    if (me.metricsPort !== undefined) {
      // Loaded only when asked for: prom-client alone is ~0.15 s of CPU at every node start
      // (every restart, every `ctl add`), and metrics are off by default.
      const { startMetrics } = await import('./metrics.js');
      metrics = await startMetrics({ host: me.host, port: me.metricsPort, facts: server.facts, stats, log });
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    log.error(`cannot listen: ${e.message}`);
    await server.close().catch(() => {});
    await transport.close().catch(() => {});
    await wal.close().catch(() => {});
    stats.close();
    const ports = [me.port, me.peerPort, ...(me.metricsPort === undefined ? [] : [me.metricsPort])].join(', ');
    throw new RaftKvError('UNAVAILABLE', `node ${me.id}: cannot listen (${e.code ?? e.message}); is another process using port ${ports}?`);
  }
  driver.start();
  const stopFaultListener = listenForFaults(faults, log);
  log.info('ready');

  let stopping: Promise<void> | null = null;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  const stop = (reason = 'stop requested'): Promise<void> => {
    stopping ??= (async () => {
      log.info(`stopping: ${reason}`);
      stopFaultListener();
      await metrics?.close();
      await server.close();
      sender.stop();
      await receiver.close();
      await snapshotter.stop();
      await driver.stop();
      faults.close();
      await transport.close();
      await wal.close();
      stats.close();
      log.info('stopped');
      resolveStopped();
    })();
    return stopping;
  };
  fatal = (err) => {
    log.error(`fatal storage error, stopping: ${err.message}`);
    process.exitCode = 1;
    void stop('fatal storage error');
  };
  if (handleSignals) {
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  }
  if (opts.join) {
    void joinCluster({
      me,
      seed: opts.join.seed,
      credentials,
      log,
      membership: () => raw.membership(),
      onSeedMembers: (members) => {
        seedPeers = members.filter((m) => m.id !== me.id).map((m) => ({ id: m.id, host: m.host, peerPort: m.peerPort }));
        onMembership(raw.membership());
      },
      stopping: () => stopping !== null,
    });
  }
  return { stop: () => stop(), stopped };
}

/**
 * How many Readies the driver keeps in flight (see RaftDriver.run). A tuning knob for benchmarks,
 * not part of cluster.json. Default 1: on the 2-core test box depth 2 measured the same as 1
 * (SET -c 64: 13.2k/13.0k/12.7k vs 13.1k/12.7k/13.2k req/s, alternating runs), because group
 * commit already batches and the box is CPU-bound; the simulator covers depth 2 on half its seeds.
 */
export function pipelineDepthFromEnv(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PIPELINE_DEPTH;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || n > 64) {
    throw new RaftKvError('BAD_CONFIG', `RAFTKV_PIPELINE_DEPTH must be an integer from 1 to 64, got ${JSON.stringify(raw)}`);
  }
  return n;
}

const DEFAULT_PIPELINE_DEPTH = 1;
