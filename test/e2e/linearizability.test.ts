/**
 * Jepsen-style: concurrent clients write, read and compare-and-swap a few keys through random
 * nodes while the leader is killed with SIGKILL and restarted; the recorded history is checked
 * with the project's linearizability checker (per-key register model). A request whose outcome is
 * unknown (timeout, connection lost) is recorded as never returning: it may or may not have
 * happened.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import split2 from 'split2';
import t from 'tap';
import { checkLinearizability, type HistoryOp } from '../lib/linearizability.js';
import { Prng } from '../lib/prng.js';
import { startCluster, waitFor, type TestCluster } from './harness.js';

/** Error codes after which the op certainly did not take effect. */
const DEFINITE = new Set(['NO_LEADER', 'PROPOSAL_DROPPED', 'NOT_LEADER', 'BAD_REQUEST', 'SHUTTING_DOWN', 'UNAVAILABLE']);

class Worker {
  private socket: net.Socket | null = null;
  private pending: ((reply: any | null) => void) | null = null;

  constructor(private readonly c: TestCluster, private readonly name: string, private readonly rand: () => number) {}

  private connect(): net.Socket {
    const n = this.c.nodes[Math.floor(this.rand() * this.c.nodes.length)]!;
    const s = net.connect({ host: '127.0.0.1', port: n.port });
    s.on('error', () => {});
    s.on('close', () => {
      if (this.socket === s) this.socket = null;
      this.pending?.(null);
      this.pending = null;
    });
    s.pipe(split2()).on('data', (line: string) => {
      const p = this.pending;
      this.pending = null;
      p?.(JSON.parse(line));
    });
    return s;
  }

  /** One request; null when the connection died or no reply came in time (outcome unknown). */
  request(req: Record<string, unknown>, timeoutMs = 4000): Promise<any | null> {
    this.socket ??= this.connect();
    const s = this.socket;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = null;
        s.destroy(); // a late reply must not be taken for the next request's
        resolve(null);
      }, timeoutMs);
      this.pending = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      s.write(JSON.stringify({ id: 1, ...req }) + '\n');
    });
  }

  async run(history: HistoryOp[], until: () => boolean): Promise<void> {
    let n = 0;
    while (!until()) {
      const key = `k${Math.floor(this.rand() * 3)}`;
      const dice = this.rand();
      const value = `${this.name}-${n++}`;
      const op: HistoryOp =
        dice < 0.4 ? { client: this.name, op: 'get', key, call: 0, return: null }
        : dice < 0.8 ? { client: this.name, op: 'set', key, value, call: 0, return: null }
        : { client: this.name, op: 'cas', key, expected: this.lastSeen ?? null, value, call: 0, return: null };
      const req = op.op === 'get' ? { op: 'get', key } : op.op === 'set' ? { op: 'set', key, value } : { op: 'cas', key, expected: op.expected, value };
      op.call = performance.now();
      const r = await this.request(req);
      if (r === null) {
        if (op.op !== 'get') history.push(op); // unknown outcome: may have happened
        continue;
      }
      if (r.ok) {
        op.return = performance.now();
        op.result = r.value;
        if (op.op === 'get') this.lastSeen = r.value;
        history.push(op);
      } else if (!DEFINITE.has(r.error.code) && op.op !== 'get') {
        history.push(op); // TIMEOUT and the like: unknown
      }
    }
  }

  private lastSeen: string | null = null;

  close(): void {
    this.socket?.destroy();
  }
}

t.test('histories under kill -9 of the leader are linearizable', async (t) => {
  const seed = Number(process.env.LIN_E2E_SEED ?? Date.now() % 100000);
  t.comment(`seed ${seed} (LIN_E2E_SEED=${seed} to replay the client choices)`);
  const c = await startCluster(t, { nodes: 3 });
  await c.waitForLeader();
  const history: HistoryOp[] = [];
  let done = false;
  const workers = Array.from({ length: 6 }, (_, i) => new Worker(c, `c${i}`, new Prng(seed * 31 + i).asFunction()));
  t.teardown(() => workers.forEach((w) => w.close()));
  const running = workers.map((w) => w.run(history, () => done));

  // Progress is measured in completed operations, not in wall-clock sleeps.
  const completedOps = () => history.filter((h) => h.return !== null).length;
  const moreOps = (n: number) => {
    const target = completedOps() + n;
    return waitFor(`${n} more completed operations`, () => completedOps() >= target, 30_000);
  };
  for (let round = 0; round < 2; round++) {
    await moreOps(200);
    const leader = await c.waitForLeader();
    await c.kill(leader, 'SIGKILL');
    await c.waitForLeader(c.nodes.map((n) => n.id).filter((id) => id !== leader));
    await moreOps(100); // traffic while the old leader is down
    c.start(leader);
  }
  await c.waitForLeader();
  await moreOps(200);
  done = true;
  await Promise.all(running);

  const completed = history.filter((h) => h.return !== null).length;
  t.comment(`${history.length} ops recorded, ${completed} completed, ${history.length - completed} with unknown outcome`);
  // The check below means something only if the history has writes and reads that saw them.
  const served = (op: string) => history.filter((h) => h.op === op && h.return !== null).length;
  t.ok(served('set') > 0 && served('cas') > 0, `writes were served (${served('set')} SET, ${served('cas')} CAS)`);
  t.ok(history.some((h) => h.op === 'get' && h.return !== null && h.result !== null), 'some reads returned a written value');
  const result = checkLinearizability(history);
  if (result.ok !== true) t.comment(result.explanation ?? '');
  t.equal(result.ok, true, `linearizable (key ${result.key ?? '-'}, ${result.steps} steps)`);
});
