/**
 * ClientServer on a real TCP socket (port from the OS) in front of a RaftDriver on the fake clock
 * (driver-harness.ts). A pump on a real timer advances fake time and makes storage durable, so
 * requests complete as on a node; each test waits for the reply lines it expects.
 */
import net from 'node:net';
import t, { type Test } from 'tap';
import { silentLogger } from '../../src/node/logger.js';
import { ClientServer } from '../../src/node/client-server.js';
import { NodeStats } from '../../src/node/node-stats.js';
import { driverRig, singleNodeLeader, TICK_MS, type DriverRig } from './driver-harness.js';

/** Serves `rig` on 127.0.0.1:0 and pumps it; everything is closed in teardown, also on failure. */
async function serve(t: Test, rig: DriverRig): Promise<number> {
  const server = new ClientServer({
    host: '127.0.0.1',
    port: 0,
    driver: rig.driver,
    sm: rig.sm,
    log: silentLogger,
    info: () => ({}),
    stats: new NodeStats(),
    // INFO is not under test here.
    facts: () => {
      throw new Error('INFO is not part of these tests');
    },
  });
  await server.start();
  const pump = setInterval(() => {
    rig.clock.advance(TICK_MS);
    rig.storage.resolveAll();
  }, 2);
  t.teardown(async () => {
    clearInterval(pump);
    await server.close();
  });
  return server.boundPort;
}

/** Sends `lines` on one connection and resolves with the first `count` reply lines (5 s deadline). */
function exchange(port: number, lines: string[], count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    const finish = (err: Error | null, out?: string[]): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(out!);
    };
    const timer = setTimeout(() => finish(new Error(`got ${JSON.stringify(buf)}, wanted ${count} lines, within 5 s`)), 5000);
    sock.on('data', (d) => {
      buf += d.toString();
      const got = buf.split(/\r?\n/);
      if (got.length > count) finish(null, got.slice(0, count));
    });
    sock.on('error', (err) => finish(err));
    sock.write(lines.map((l) => `${l}\n`).join(''));
  });
}

t.test('JSON set then get on a leader: written, committed, read back linearizably', async (t) => {
  const rig = await singleNodeLeader();
  const port = await serve(t, rig);
  const replies = await exchange(port, ['{"id":1,"op":"set","key":"k","value":"v"}', '{"id":2,"op":"get","key":"k"}'], 2);
  t.same(replies.map((l) => JSON.parse(l)), [
    { id: 1, ok: true, value: 'OK' },
    { id: 2, ok: true, value: 'v' },
  ]);
});

t.test('a write of an expired session: SESSION_EXPIRED in JSON', async (t) => {
  const rig = await singleNodeLeader();
  const port = await serve(t, rig);
  const [line] = await exchange(port, ['{"id":1,"op":"set","key":"k","value":"v","clientId":"c","seq":7}'], 1);
  const reply = JSON.parse(line!);
  t.equal(reply.ok, false);
  t.equal(reply.error.code, 'SESSION_EXPIRED');
  t.equal(rig.sm.get('k'), null, 'not applied');
});

t.test('a follower with no leader answers writes NO_LEADER (JSON) / -NOLEADER (inline), and stale reads locally', async (t) => {
  const rig = driverRig({ peers: [1, 2, 3] });
  rig.driver.start();
  const port = await serve(t, rig);
  const replies = await exchange(port, ['{"id":1,"op":"set","key":"k","value":"v"}', 'SET k v', '{"id":2,"op":"get","key":"k","consistency":"stale"}'], 3);
  t.equal(JSON.parse(replies[0]!).error.code, 'NO_LEADER');
  t.match(replies[1], /^-NOLEADER /);
  t.same(JSON.parse(replies[2]!), { id: 2, ok: true, value: null });
});

t.test('a linearizable read that cannot be confirmed times out on the injected clock', async (t) => {
  const rig = driverRig({ peers: [1, 2, 3], requestTimeoutMs: 300 });
  rig.driver.start();
  // Node 2 leads; node 1 forwards its read and never hears back.
  rig.driver.step({ type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0 });
  const port = await serve(t, rig);
  const [line] = await exchange(port, ['{"id":1,"op":"get","key":"k"}'], 1);
  t.equal(JSON.parse(line!).error.code, 'TIMEOUT');
  t.ok(rig.transport.ofType('readIndex').some((m) => m.to === 2), 'the read was forwarded to the leader');
});
