/**
 * AUTH on a cluster with a password, against real node processes, in both dialects: NOAUTH before
 * it (HELLO and QUIT allowed), WRONGPASS for a wrong password or user, then everything works; a
 * connection that does not authenticate in time is closed; the password appears in no log.
 */
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { rawExchange, startCluster, waitFor } from './harness.js';

const PASSWORD = 'correct horse battery staple';
const NOAUTH = '-NOAUTH Authentication required.\r\n';
const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';

t.test('AUTH and NOAUTH/WRONGPASS in both dialects', async (t) => {
  const c = await startCluster(t, { nodes: 3, password: PASSWORD, security: { authTimeoutMs: 1500 } });
  const leader = await c.waitForLeader();
  const follower = c.nodes.find((n) => n.id !== leader)!;
  const { port } = c.node(leader);

  await t.test('Redis dialect', async (t) => {
    const r = await rawExchange(
      port,
      'GET k\r\nSET k v\r\nHELLO 2\r\n' +
        `AUTH wrong\r\nAUTH default wrong\r\nAUTH someone "${PASSWORD}"\r\nGET k\r\n` +
        `AUTH "${PASSWORD}"\r\nSET k v\r\nGET k\r\nAUTH default "${PASSWORD}"\r\nAUTH a b c\r\nQUIT\r\n`,
      'close',
    );
    const lines = r.data.split('\r\n');
    t.equal(lines[0] + '\r\n', NOAUTH, 'GET before AUTH');
    t.equal(lines[1] + '\r\n', NOAUTH, 'SET before AUTH');
    t.equal(lines[2], '*14', 'HELLO is allowed before AUTH');
    const rest = r.data.slice(r.data.indexOf(WRONGPASS));
    t.equal(
      rest,
      WRONGPASS.repeat(3) + NOAUTH + '+OK\r\n+OK\r\n$1\r\nv\r\n+OK\r\n' + "-ERR wrong number of arguments for 'auth' command\r\n" + '+OK\r\n',
      'wrong password, wrong user, then the right one; AUTH default works too; QUIT answers',
    );
    t.ok(r.closed, 'QUIT closes');
    t.equal((await rawExchange(follower.port, 'QUIT\r\n', 'close')).data, '+OK\r\n', 'QUIT is allowed before AUTH');
  });

  await t.test('JSON dialect', async (t) => {
    const r = await rawExchange(
      follower.port,
      [
        { id: 1, op: 'get', key: 'k' },
        { id: 2, op: 'auth', password: 'wrong' },
        { id: 3, op: 'auth', password: PASSWORD, user: 'admin' },
        { id: 4, op: 'auth', password: PASSWORD },
        { id: 5, op: 'get', key: 'k' },
        { id: 6, op: 'auth' },
      ]
        .map((x) => JSON.stringify(x) + '\n')
        .join(''),
      /^(?:[^\n]*\n){6}/,
    );
    const replies = r.data.trim().split('\n').map((l) => JSON.parse(l));
    t.same(replies[0], { id: 1, ok: false, error: { code: 'NOAUTH', message: 'Authentication required.' } });
    t.same(replies[1], { id: 2, ok: false, error: { code: 'WRONGPASS', message: 'invalid username-password pair or user is disabled.' } });
    t.equal(replies[2].error.code, 'WRONGPASS', 'only the default user exists');
    t.same(replies[3], { id: 4, ok: true, value: 'OK' });
    t.same(replies[4], { id: 5, ok: true, value: 'v' }, 'a linearizable read through a follower once authenticated');
    t.same(replies[5].error, { code: 'BAD_REQUEST', message: "field 'password' is required" });
  });

  await t.test('a connection that does not authenticate in time is closed', async (t) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    t.teardown(() => s.destroy());
    const started = Date.now();
    await new Promise((r) => s.once('close', r));
    const ms = Date.now() - started;
    t.ok(ms >= 1000 && ms < 15_000, `closed after ${ms} ms (timeout 1500 ms)`);
    const log = () => readFileSync(join(c.dir, 'logs', `node-${leader}.log`), 'utf8');
    await waitFor('the close in the log', () => log().includes('not authenticated within 1500 ms'));
  });

  await t.test('the password is in no log line', async (t) => {
    await waitFor('the failed AUTH in the log', () => readFileSync(join(c.dir, 'logs', `node-${leader}.log`), 'utf8').includes('AUTH failed'));
    for (const f of readdirSync(join(c.dir, 'logs'))) {
      t.notOk(readFileSync(join(c.dir, 'logs', f), 'utf8').includes(PASSWORD), `${f} does not hold the password`);
    }
  });
});
