/**
 * Prometheus metrics of one node over HTTP (`GET /metrics`), on the node's optional `metricsPort`
 * (cluster.json; off by default). prom-client does the text format, histograms and the process
 * metrics (`process_*`, `nodejs_*`); names follow Prometheus conventions: `raftkv_` prefix, base
 * units (seconds, bytes), `_total` for counters.
 *
 * Raft state is read when scraped (collect callbacks on the same facts INFO shows), so an idle
 * node costs nothing; only requests and WAL syncs are observed as they happen (NodeStats.observer).
 */
import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { InfoFacts } from '../protocol/redis-info.js';
import type { Logger } from './logger.js';
import type { NodeStats } from './node-stats.js';

export interface MetricsOptions {
  host: string;
  port: number;
  facts: () => InfoFacts;
  stats: NodeStats;
  log: Logger;
}

export interface MetricsServer {
  close(): Promise<void>;
}

const ROLES = ['follower', 'pre-candidate', 'candidate', 'leader'] as const;

/** Builds the registry; exported for tests that read it without HTTP. */
export function metricsRegistry(facts: () => InfoFacts, stats: NodeStats): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register });
  // One facts() per scrape, shared by every gauge's collect (they run in one metrics() call).
  let cached: { at: number; facts: InfoFacts } | null = null;
  const now = () => {
    const t = performance.now();
    if (!cached || t - cached.at > 50) cached = { at: t, facts: facts() };
    return cached.facts;
  };
  const gauge = (name: string, help: string, value: (f: InfoFacts) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers: [register],
      collect() {
        const v = value(now());
        if (v !== undefined) this.set(v);
      },
    });
  gauge('raftkv_raft_term', 'Current Raft term.', (f) => f.term);
  gauge('raftkv_raft_commit_index', 'Highest log index known committed.', (f) => f.commitIndex);
  gauge('raftkv_raft_applied_index', 'Highest log index applied to the state machine.', (f) => f.lastApplied);
  gauge('raftkv_raft_last_log_index', 'Index of the last entry in the log.', (f) => f.lastLogIndex);
  gauge('raftkv_raft_first_index', 'Index of the first entry still in the log.', (f) => f.firstIndex);
  gauge('raftkv_raft_leader_id', 'Id of the leader this node knows (0 = none).', (f) => f.leader);
  gauge('raftkv_raft_is_leader', '1 if this node is the leader.', (f) => (f.role === 'leader' ? 1 : 0));
  gauge('raftkv_keys', 'Keys in the state machine.', (f) => f.keys);
  gauge('raftkv_connected_clients', 'Open client connections.', (f) => f.connectedClients);
  gauge('raftkv_wal_size_bytes', 'Bytes of write-ahead log on disk.', (f) => f.persistence?.walSizeBytes);
  new Gauge({
    name: 'raftkv_raft_role',
    help: 'Raft role of this node: 1 for the current one.',
    labelNames: ['role'],
    registers: [register],
    collect() {
      const role = now().role;
      for (const r of ROLES) this.set({ role: r }, r === role ? 1 : 0);
    },
  });
  const perPeer = (name: string, help: string, value: (p: NonNullable<InfoFacts['raftPeers']>[number]) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['peer'],
      registers: [register],
      collect() {
        this.reset();
        for (const p of now().raftPeers ?? []) {
          const v = value(p);
          if (v !== undefined) this.set({ peer: String(p.id) }, v);
        }
      },
    });
  perPeer('raftkv_raft_peer_last_contact_seconds', 'Seconds since a message from the peer reached Raft (absent: never).', (p) => (p.lastContactMs === null ? undefined : p.lastContactMs / 1000));
  perPeer('raftkv_raft_peer_match_index', 'Leader only: the highest log index known replicated on the peer.', (p) => p.match);
  perPeer('raftkv_raft_peer_link_up', '1 if the peer connection is up and not cut by an injected fault.', (p) => (p.link === 'up' ? 1 : 0));
  const counterFrom = (name: string, help: string, value: (f: InfoFacts) => number | undefined) =>
    new Counter({
      name,
      help,
      registers: [register],
      collect() {
        const v = value(now());
        if (v === undefined) return;
        this.reset();
        this.inc(v);
      },
    });
  counterFrom('raftkv_wal_fsyncs_total', 'fdatasync calls of the write-ahead log.', (f) => f.persistence?.walFsyncs);
  counterFrom('raftkv_wal_written_bytes_total', 'Bytes written to the write-ahead log.', (f) => f.persistence?.walBytesWritten);
  counterFrom('raftkv_connections_received_total', 'Client connections accepted.', (f) => f.stats?.totalConnectionsReceived);

  const requests = new Counter({ name: 'raftkv_requests_total', help: 'Client requests by op and result (ok or an error code).', labelNames: ['op', 'result'], registers: [register] });
  const requestSeconds = new Histogram({
    name: 'raftkv_request_duration_seconds',
    help: 'Time from a request being decoded to its reply being ready.',
    labelNames: ['op'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [register],
  });
  const fsyncSeconds = new Histogram({
    name: 'raftkv_wal_fsync_duration_seconds',
    help: 'Write plus fdatasync of one group commit of the write-ahead log.',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [register],
  });
  stats.observer = {
    request(op, result, seconds) {
      requests.inc({ op, result });
      requestSeconds.observe({ op }, seconds);
    },
    fsync(seconds) {
      fsyncSeconds.observe(seconds);
    },
  };
  return register;
}

export async function startMetrics(opts: MetricsOptions): Promise<MetricsServer> {
  const register = metricsRegistry(opts.facts, opts.stats);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    register.metrics().then(
      (text) => res.writeHead(200, { 'content-type': register.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
    );
  });
  // A scraper that stalls must not hold a socket forever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  opts.log.info(`metrics on http://${opts.host}:${opts.port}/metrics`);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        opts.stats.observer = null;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
