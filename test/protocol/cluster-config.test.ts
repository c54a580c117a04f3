/**
 * cluster.json validation: every mistake is refused with BAD_CONFIG naming the field and the
 * reason; good files come back with absolute directories.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClusterConfig, parseClusterConfig, writeClusterConfig } from '../../src/protocol/cluster-config.js';
import { RaftKvError } from '../../src/protocol/errors.js';

function good(): Record<string, any> {
  return {
    nodes: [
      { id: 1, host: '127.0.0.1', port: 7001, peerPort: 7101 },
      { id: 2, host: '127.0.0.1', port: 7002, peerPort: 7102 },
      { id: 3, host: '127.0.0.1', port: 7003, peerPort: 7103 },
    ],
    electionTimeoutMs: { min: 150, max: 300 },
    heartbeatIntervalMs: 50,
    dataDir: 'data',
    logDir: 'logs',
  };
}

function tempDir(tt: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-cfg-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a good file parses; directories resolve against its folder', async (tt) => {
  const cfg = parseClusterConfig(good(), '/srv/kv');
  tt.equal(cfg.nodes.length, 3);
  tt.same(cfg.nodes[1], { id: 2, host: '127.0.0.1', port: 7002, peerPort: 7102 });
  tt.same(cfg.electionTimeoutMs, { min: 150, max: 300 });
  tt.equal(cfg.heartbeatIntervalMs, 50);
  tt.equal(cfg.dataDir, '/srv/kv/data');
  tt.equal(cfg.logDir, '/srv/kv/logs');
  tt.equal(cfg.readMode, 'readindex', 'reads default to ReadIndex');
  tt.equal(cfg.maxClockDrift, 0.1, 'clock drift margin defaults to ±10%');
  const lease = parseClusterConfig({ ...good(), readMode: 'lease', maxClockDrift: 0.05 }, '/x');
  tt.equal(lease.readMode, 'lease');
  tt.equal(lease.maxClockDrift, 0.05);
  tt.equal(parseClusterConfig({ ...good(), maxClockDrift: 0 }, '/x').maxClockDrift, 0, 'zero drift (one machine, one clock) is allowed');
  const abs = parseClusterConfig({ ...good(), dataDir: '/var/lib/kv' }, '/srv/kv');
  tt.equal(abs.dataDir, '/var/lib/kv', 'absolute stays absolute');
  const one = parseClusterConfig({ ...good(), nodes: [good().nodes[0]] }, '/x');
  tt.equal(one.nodes.length, 1, 'a single node is a valid cluster');
  const shared = good();
  shared.nodes[1].host = '10.0.0.2';
  shared.nodes[1].port = 7001;
  tt.doesNotThrow(() => parseClusterConfig(shared, '/x'), 'the same port on different hosts is fine');
  const behindNat = good();
  behindNat.nodes = [1, 2, 3].map((id) => ({ id, host: `node${id}.example`, listenHost: '0.0.0.0', port: 7000 + id, peerPort: 7100 + id }));
  tt.same(parseClusterConfig(behindNat, '/x').nodes[2], { id: 3, host: 'node3.example', listenHost: '0.0.0.0', port: 7003, peerPort: 7103 }, 'listenHost is kept beside host');
  const ownInterfaces = good();
  ownInterfaces.nodes = [1, 2].map((id) => ({ id, host: `pub${id}.example`, listenHost: `10.0.0.${id}`, port: 7001, peerPort: 7101 }));
  tt.doesNotThrow(() => parseClusterConfig(ownInterfaces, '/x'), 'distinct listen and reach addresses may share ports');
  const loopbackAndOther = good();
  loopbackAndOther.nodes[0].host = 'localhost';
  loopbackAndOther.nodes[1].host = '10.0.0.2';
  loopbackAndOther.nodes[1].port = 7001;
  tt.doesNotThrow(() => parseClusterConfig(loopbackAndOther, '/x'), 'loopback and another address may share a port');
  const mixedLoopback = good();
  mixedLoopback.nodes[1].host = 'localhost';
  mixedLoopback.nodes[2].host = '::1';
  tt.doesNotThrow(() => parseClusterConfig(mixedLoopback, '/x'), 'loopback spellings on distinct ports are fine');
});

t.test('the repo root cluster.json is valid and matches DESIGN.md', async (tt) => {
  const root = fileURLToPath(new URL('../../../cluster.json', import.meta.url));
  const cfg = loadClusterConfig(root);
  tt.same(cfg.nodes.map((n) => [n.id, n.port, n.peerPort]), [[1, 7001, 7101], [2, 7002, 7102], [3, 7003, 7103]]);
});

/** [what, mutate the good config, expected message] */
const BAD: Array<[string, (c: Record<string, any>) => unknown, RegExp]> = [
  ['not an object', () => [1, 2], /\(top level\): must be an object, got \[1,2\]/],
  ['null', () => null, /must be an object, got null/],
  ['a string', () => 'nodes', /must be an object, got "nodes"/],
  ['unknown top-level field (typo)', (c) => ({ ...c, heartbeatIntervalMS: 50 }), /heartbeatIntervalMS: unknown field/],
  ['missing nodes', (c) => (delete c.nodes, c), /nodes: missing/],
  ['nodes not an array', (c) => ({ ...c, nodes: { id: 1 } }), /nodes: must be an array/],
  ['no nodes', (c) => ({ ...c, nodes: [] }), /nodes: must list at least one node/],
  ['node not an object', (c) => ((c.nodes[1] = 'n2'), c), /nodes\[1\]: must be an object, got "n2"/],
  ['node missing id', (c) => (delete c.nodes[0].id, c), /nodes\[0\]\.id: missing/],
  ['node missing host', (c) => (delete c.nodes[2].host, c), /nodes\[2\]\.host: missing/],
  ['node missing peerPort', (c) => (delete c.nodes[1].peerPort, c), /nodes\[1\]\.peerPort: missing/],
  ['unknown node field', (c) => ((c.nodes[0].peer_port = 1), c), /nodes\[0\]\.peer_port: unknown field/],
  ['id zero', (c) => ((c.nodes[0].id = 0), c), /nodes\[0\]\.id: must be an integer >= 1, got 0/],
  ['id negative', (c) => ((c.nodes[0].id = -3), c), /nodes\[0\]\.id: must be an integer >= 1, got -3/],
  ['id fractional', (c) => ((c.nodes[0].id = 1.5), c), /nodes\[0\]\.id: must be an integer >= 1, got 1\.5/],
  ['id a string', (c) => ((c.nodes[0].id = '1'), c), /nodes\[0\]\.id: must be an integer >= 1, got "1"/],
  ['duplicate id', (c) => ((c.nodes[2].id = 1), c), /nodes\[2\]\.id: duplicate id 1 \(also nodes\[0\]\.id\)/],
  ['port a string', (c) => ((c.nodes[1].port = 'abc'), c), /nodes\[1\]\.port: must be an integer 1\.\.65535, got "abc"/],
  ['port too big', (c) => ((c.nodes[1].port = 70000), c), /nodes\[1\]\.port: must be an integer 1\.\.65535, got 70000/],
  ['port zero', (c) => ((c.nodes[1].port = 0), c), /nodes\[1\]\.port: must be an integer 1\.\.65535/],
  ['port null', (c) => ((c.nodes[1].port = null), c), /nodes\[1\]\.port: must be an integer 1\.\.65535, got null/],
  ['duplicate client port', (c) => ((c.nodes[1].port = 7001), c), /nodes\[1\]\.port: port 7001 on 127\.0\.0\.1 is already used by nodes\[0\]\.port/],
  ['peer port equal to a client port', (c) => ((c.nodes[2].peerPort = 7002), c), /nodes\[2\]\.peerPort: port 7002 .* nodes\[1\]\.port/],
  ['peer port equal to its own client port', (c) => ((c.nodes[0].peerPort = 7001), c), /nodes\[0\]\.peerPort: port 7001/],
  // Two spellings of one host: the clash names both entries and says why they are one host.
  [
    'localhost and 127.0.0.1 on one port',
    (c) => ((c.nodes[1].host = 'localhost'), (c.nodes[1].port = 7001), c),
    /nodes\[1\]\.port: port 7001 on localhost is already used by nodes\[0\]\.port \(127\.0\.0\.1:7001\): localhost and 127\.0\.0\.1 are both this machine's loopback$/,
  ],
  [
    '127.0.0.2 and 127.0.0.1 on one port',
    (c) => ((c.nodes[2].host = '127.0.0.2'), (c.nodes[2].peerPort = 7102), c),
    /nodes\[2\]\.peerPort: port 7102 on 127\.0\.0\.2 is already used by nodes\[1\]\.peerPort \(127\.0\.0\.1:7102\): .*both this machine's loopback$/,
  ],
  [
    '::1 and 127.0.0.1 on one port',
    (c) => ((c.nodes[1].host = '::1'), (c.nodes[1].peerPort = 7101), c),
    /nodes\[1\]\.peerPort: port 7101 on ::1 is already used by nodes\[0\]\.peerPort \(127\.0\.0\.1:7101\): ::1 and 127\.0\.0\.1 are both/,
  ],
  [
    'a wildcard after a specific address',
    (c) => ((c.nodes[2].host = '0.0.0.0'), (c.nodes[2].port = 7002), c),
    /nodes\[2\]\.port: port 7002 on 0\.0\.0\.0 is already used by nodes\[1\]\.port \(127\.0\.0\.1:7002\): 0\.0\.0\.0 listens on every address$/,
  ],
  [
    'a specific address after a wildcard',
    (c) => ((c.nodes[0].host = '::'), (c.nodes[1].host = '10.0.0.2'), (c.nodes[1].port = 7001), c),
    /nodes\[1\]\.port: port 7001 on 10\.0\.0\.2 is already used by nodes\[0\]\.port \(\[::\]:7001\): :: listens on every address$/,
  ],
  [
    'two spellings of one IPv6 address',
    (c) => ((c.nodes[0].host = 'fd00::1'), (c.nodes[1].host = 'FD00:0:0::1'), (c.nodes[1].port = 7001), c),
    /nodes\[1\]\.port: port 7001 on FD00:0:0::1 is already used by nodes\[0\]\.port \(\[fd00::1\]:7001\): FD00:0:0::1 and fd00::1 are the same host$/,
  ],
  ['empty host', (c) => ((c.nodes[0].host = ''), c), /nodes\[0\]\.host: must be a non-empty string, got ""/],
  [
    'two nodes listening on one address and port',
    (c) => ((c.nodes[0].listenHost = '0.0.0.0'), (c.nodes[1].host = '10.0.0.2'), (c.nodes[1].port = 7001), c),
    /nodes\[1\]\.port: port 7001 on 10\.0\.0\.2 is already used by nodes\[0\]\.port \(0\.0\.0\.0:7001\): 0\.0\.0\.0 listens on every address$/,
  ],
  [
    'a listenHost clashing with another node',
    (c) => ((c.nodes[0].host = '10.0.0.1'), (c.nodes[1].host = '10.0.0.2'), (c.nodes[1].listenHost = '10.0.0.1'), (c.nodes[1].port = 7001), c),
    /nodes\[1\]\.port: port 7001 on 10\.0\.0\.1 \(nodes\[1\]\.listenHost, where this node listens\) is already used by nodes\[0\]\.port \(10\.0\.0\.1:7001\)$/,
  ],
  [
    'two nodes reached at one host and port',
    (c) => ((c.nodes[0].host = 'nat.example'), (c.nodes[0].listenHost = '10.0.0.1'), (c.nodes[1].host = 'nat.example'), (c.nodes[1].listenHost = '10.0.0.2'), (c.nodes[1].port = 7001), c),
    /nodes\[1\]\.port: nat\.example:7001 \(nodes\[1\]\.host, where the others reach this node\) is also where nodes\[0\]\.port is reached$/,
  ],
  ['empty listenHost', (c) => ((c.nodes[0].listenHost = ''), c), /nodes\[0\]\.listenHost: must be a non-empty string, got ""/],
  ['listenHost a number', (c) => ((c.nodes[0].listenHost = 0), c), /nodes\[0\]\.listenHost: must be a non-empty string, got 0/],
  ['blank host', (c) => ((c.nodes[0].host = '   '), c), /nodes\[0\]\.host: must be a non-empty string/],
  ['host a number', (c) => ((c.nodes[0].host = 127), c), /nodes\[0\]\.host: must be a non-empty string, got 127/],
  ['missing electionTimeoutMs', (c) => (delete c.electionTimeoutMs, c), /electionTimeoutMs: missing/],
  ['electionTimeoutMs a number', (c) => ({ ...c, electionTimeoutMs: 150 }), /electionTimeoutMs: must be an object, got 150/],
  ['election min zero', (c) => ((c.electionTimeoutMs.min = 0), c), /electionTimeoutMs\.min: must be an integer 1\.\./],
  ['election min missing', (c) => (delete c.electionTimeoutMs.min, c), /electionTimeoutMs\.min: missing/],
  ['election unknown field', (c) => ((c.electionTimeoutMs.avg = 1), c), /electionTimeoutMs\.avg: unknown field/],
  ['election max below min', (c) => ((c.electionTimeoutMs.max = 100), c), /electionTimeoutMs\.max: must be >= electionTimeoutMs\.min \(150\), got 100/],
  ['heartbeat missing', (c) => (delete c.heartbeatIntervalMs, c), /heartbeatIntervalMs: missing/],
  ['heartbeat equal to election min', (c) => ({ ...c, heartbeatIntervalMs: 150 }), /heartbeatIntervalMs: must be below electionTimeoutMs\.min \(150\), got 150/],
  ['heartbeat negative', (c) => ({ ...c, heartbeatIntervalMs: -5 }), /heartbeatIntervalMs: must be an integer/],
  ['heartbeat a string', (c) => ({ ...c, heartbeatIntervalMs: '50' }), /heartbeatIntervalMs: must be an integer 1\.\.3600000, got "50"/],
  ['readMode unknown', (c) => ({ ...c, readMode: 'stale' }), /readMode: must be one of "readindex", "lease", got "stale"/],
  ['readMode wrong case', (c) => ({ ...c, readMode: 'Lease' }), /readMode: must be one of .*got "Lease"/],
  ['readMode a number', (c) => ({ ...c, readMode: 1 }), /readMode: must be one of .*got 1/],
  ['readMode null', (c) => ({ ...c, readMode: null }), /readMode: must be one of .*got null/],
  ['maxClockDrift a percentage', (c) => ({ ...c, maxClockDrift: 10 }), /maxClockDrift: must be a number >= 0 and < 0\.5 .*got 10/],
  ['maxClockDrift negative', (c) => ({ ...c, maxClockDrift: -0.1 }), /maxClockDrift: must be a number >= 0 and < 0\.5/],
  ['maxClockDrift a string', (c) => ({ ...c, maxClockDrift: '0.1' }), /maxClockDrift: must be a number .*got "0\.1"/],
  ['dataDir missing', (c) => (delete c.dataDir, c), /dataDir: missing/],
  ['dataDir empty', (c) => ({ ...c, dataDir: '' }), /dataDir: must be a non-empty string/],
  ['logDir an array', (c) => ({ ...c, logDir: ['logs'] }), /logDir: must be a non-empty string, got \["logs"\]/],
  ['limits unknown field', (c) => ({ ...c, limits: { maxclients: 5 } }), /limits\.maxclients: unknown field/],
  ['limits maxClients zero', (c) => ({ ...c, limits: { maxClients: 0 } }), /limits\.maxClients: must be an integer >= 1, got 0/],
  ['security clientTls unknown', (c) => ({ ...c, security: { certDir: 'certs', clientTls: 'yes' } }), /security\.clientTls: must be one of "off", "on", "mutual", got "yes"/],
  ['security TLS without certDir', (c) => ({ ...c, security: { clientTls: 'on' } }), /security\.clientTls: "on" needs security\.certDir/],
  ['security passwordFile empty', (c) => ({ ...c, security: { passwordFile: '' } }), /security\.passwordFile: must be a non-empty string/],
  ['a very long bad value is shortened', (c) => ({ ...c, logDir: new Array(300).fill(1) }), /logDir: must be a non-empty string, got \[1,1,.{40,60}\.\.\.$/],
];

t.test('bad configs are refused with the field and the reason', async (tt) => {
  for (const [what, mutate, message] of BAD) {
    const raw = mutate(good());
    tt.throws(() => parseClusterConfig(raw, '/x', 'cluster.json'), { code: 'BAD_CONFIG', message }, what);
    try {
      parseClusterConfig(raw, '/x', 'cluster.json');
    } catch (err) {
      tt.ok(err instanceof RaftKvError && err.message.startsWith('cluster.json: '), `${what}: message names the file`);
    }
  }
});

t.test('loadClusterConfig: garbage files', async (tt) => {
  const dir = tempDir(tt);
  const file = (name: string, content: string | Buffer): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  tt.throws(() => loadClusterConfig(join(dir, 'nope.json')), { code: 'BAD_CONFIG', message: /nope\.json: cannot read: no such file/ });
  mkdirSync(join(dir, 'folder.json'));
  tt.throws(() => loadClusterConfig(join(dir, 'folder.json')), { code: 'BAD_CONFIG', message: /is a folder/ });
  tt.throws(() => loadClusterConfig(file('empty.json', '')), { code: 'BAD_CONFIG', message: /empty\.json: the file is empty/ });
  tt.throws(() => loadClusterConfig(file('blank.json', ' \n\t\n')), { code: 'BAD_CONFIG', message: /the file is empty/ });
  tt.throws(() => loadClusterConfig(file('trunc.json', '{"nodes": [')), { code: 'BAD_CONFIG', message: /trunc\.json: not valid JSON/ });
  tt.throws(() => loadClusterConfig(file('bin.json', Buffer.from([0xff, 0x00, 0xfe, 0x7b]))), { code: 'BAD_CONFIG', message: /not valid JSON/ });
  tt.throws(() => loadClusterConfig(file('num.json', '42')), { code: 'BAD_CONFIG', message: /num\.json: \(top level\): must be an object, got 42/ });
  const bad = good();
  bad.nodes[1].port = 'abc';
  tt.throws(() => loadClusterConfig(file('port.json', JSON.stringify(bad))), {
    code: 'BAD_CONFIG',
    message: /port\.json: nodes\[1\]\.port: must be an integer 1\.\.65535, got "abc"/,
  });
  const cfg = loadClusterConfig(file('ok.json', JSON.stringify(good())));
  tt.equal(cfg.dataDir, join(dir, 'data'), "relative to the file's folder, not the cwd");
});

t.test('writeClusterConfig round-trips and replaces atomically', async (tt) => {
  const dir = tempDir(tt);
  const cfg = parseClusterConfig(good(), dir);
  const path = join(dir, 'sub', 'cluster.json');
  writeClusterConfig(path, cfg);
  tt.same(loadClusterConfig(path), cfg);
  writeClusterConfig(path, { ...cfg, heartbeatIntervalMs: 20, readMode: 'lease', maxClockDrift: 0.2 });
  tt.equal(loadClusterConfig(path).heartbeatIntervalMs, 20, 'overwritten');
  tt.match(loadClusterConfig(path), { readMode: 'lease', maxClockDrift: 0.2 }, 'the read mode survives a round trip');
  tt.match(readFileSync(path, 'utf8'), /^\{\n  "nodes": \[\n    \{"id":1,/, 'readable, one node per line');
  const secure = parseClusterConfig({ ...good(), limits: { maxClients: 5 }, security: { certDir: 'certs', clientTls: 'mutual', passwordFile: 'pw' } }, dir);
  tt.same(secure.security, { certDir: join(dir, 'certs'), clientTls: 'mutual', passwordFile: join(dir, 'pw'), authTimeoutMs: 10_000 }, 'security paths resolve against the folder');
  writeClusterConfig(path, secure);
  tt.same(loadClusterConfig(path), secure, 'limits and security survive a round trip');
  const listening = good();
  listening.nodes[0].listenHost = '0.0.0.0';
  listening.nodes[0].host = 'node1.example';
  writeClusterConfig(path, parseClusterConfig(listening, dir));
  tt.same(loadClusterConfig(path).nodes[0], { id: 1, host: 'node1.example', listenHost: '0.0.0.0', port: 7001, peerPort: 7101 }, 'listenHost survives a round trip');
  tt.notMatch(readFileSync(path, 'utf8'), /"id":2,[^\n]*listenHost/, 'and is written only where given');
});

t.test('metricsPort per node: optional, a port, clashes named, written back', async (tt) => {
  const raw = good();
  raw.nodes[0].metricsPort = 9101;
  const cfg = parseClusterConfig(raw, '/srv/kv');
  tt.equal(cfg.nodes[0]!.metricsPort, 9101);
  tt.notOk('metricsPort' in cfg.nodes[1]!, 'off unless given');
  const bad = good();
  bad.nodes[1].metricsPort = 'x';
  tt.throws(() => parseClusterConfig(bad, '/srv'), { code: 'BAD_CONFIG', message: /nodes\[1\]\.metricsPort/ });
  const clash = good();
  clash.nodes[2].metricsPort = 7001;
  tt.throws(() => parseClusterConfig(clash, '/srv'), { code: 'BAD_CONFIG', message: /nodes\[2\]\.metricsPort: port 7001 .*nodes\[0\]\.port/ });
  const dir = tempDir(tt);
  writeClusterConfig(join(dir, 'c.json'), cfg);
  tt.equal(loadClusterConfig(join(dir, 'c.json')).nodes[0]!.metricsPort, 9101, 'kept by writeClusterConfig');
});
