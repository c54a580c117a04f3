/**
 * The client library's connection (src/client/connection.ts) into a simulated node, and the
 * client library's clock on the simulator's time line: what lets the simulator run the real
 * RaftKvClient, retries, leader following and sessions included.
 *
 * A request travels as it does on a real client port: the body is encoded as a JSON request line
 * and parsed by the node side's own parser (parseJsonRequest), handed to the node's client entry
 * point (SimNode.request, over the client link with its delays), and the answer is encoded as a
 * JSON reply line and parsed by the client side's parser (parseJsonReply). A request the
 * simulated node cannot serve (not get/set/del/cas of one key) is answered with BAD_REQUEST,
 * which the simulator reports as a violation.
 *
 * As NodeConnection, every request settles exactly once: its reply, TIMEOUT on the client's
 * clock, UNAVAILABLE (the node was down: not sent) or CONNECTION_LOST (the node crashed with the
 * request open), or SHUTTING_DOWN on close(); a reply after that is dropped.
 */
import type { ClientClock } from '../../../src/client/client-clock.js';
import type { Connection } from '../../../src/client/connection.js';
import { encodeJsonError, encodeJsonReply, parseJsonReply, parseJsonRequest, type ClientRequest, type JsonReply } from '../../../src/protocol/client-requests.js';
import { RaftKvError } from '../../../src/protocol/errors.js';
import type { SimRequest } from './sim-node.js';
import type { SimScheduler } from './sim-scheduler.js';

/** Carries a request to a node and its answer back (with the client link's delays). */
export type ClientLink = (nodeIndex: number, req: SimRequest, reply: (err: RaftKvError | null, value?: unknown) => void) => void;

/** The client library's clock on simulated time: its timers belong to the world (never dropped by a crash). */
export function simClientClock(sched: SimScheduler): ClientClock {
  return {
    monotonic: () => sched.now,
    setTimeout: (fn, ms) => sched.after(ms, fn),
    clearTimeout: (id) => sched.cancel(id as number),
  };
}

/** Codes that a connection reports by rejecting (no reply came), as NodeConnection does. */
const CONNECTION_FAILURES = new Set(['UNAVAILABLE', 'CONNECTION_LOST']);

export class SimConnection implements Connection {
  private nextId = 1;
  private closed = false;
  /** Requests not yet settled, by id: how to fail them on close(). */
  private readonly pending = new Map<number, (outcome: JsonReply | RaftKvError) => void>();

  constructor(
    private readonly nodeIndex: number,
    private readonly nodeId: number,
    private readonly link: ClientLink,
    private readonly clock: ClientClock,
  ) {}

  request(body: Record<string, unknown>, timeoutMs: number): Promise<JsonReply> {
    if (this.closed) return Promise.reject(new RaftKvError('SHUTTING_DOWN', 'the client was closed'));
    const id = this.nextId++;
    return new Promise<JsonReply>((resolve, reject) => {
      const settle = (outcome: JsonReply | RaftKvError): void => {
        if (!this.pending.delete(id)) return;
        this.clock.clearTimeout(timer);
        if (outcome instanceof RaftKvError) reject(outcome);
        else resolve(outcome);
      };
      const timer = this.clock.setTimeout(
        () => settle(new RaftKvError('TIMEOUT', `node ${this.nodeId} did not answer within ${Math.round(timeoutMs)} ms`)),
        Math.max(1, timeoutMs),
      );
      this.pending.set(id, settle);
      const parsed = parseJsonRequest(JSON.stringify({ ...body, id }));
      if (!parsed.ok) return settle(parseJsonReply(encodeJsonError(parsed.id, parsed.error)));
      const req = toSimRequest(parsed.req);
      if (req instanceof RaftKvError) return settle(parseJsonReply(encodeJsonError(id, req)));
      this.link(this.nodeIndex, req, (err, value) => {
        if (err && CONNECTION_FAILURES.has(err.code)) return settle(err);
        settle(parseJsonReply(err ? encodeJsonError(id, err) : encodeJsonReply(id, value)));
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const settle of [...this.pending.values()]) settle(new RaftKvError('SHUTTING_DOWN', 'the client was closed'));
  }
}

/** The request as the simulated node's entry point takes it, or why it cannot. */
function toSimRequest(req: ClientRequest): SimRequest | RaftKvError {
  const sessionOf = (r: { clientId?: string; seq?: number }): { clientId: string; seq: number } | null =>
    r.clientId !== undefined && r.seq !== undefined ? { clientId: r.clientId, seq: r.seq } : null;
  switch (req.op) {
    case 'get':
      return { op: 'get', key: req.key };
    case 'set': {
      const s = sessionOf(req);
      return s ? { op: 'set', key: req.key, value: req.value, ...s } : unsupported('set without a session');
    }
    case 'del': {
      const s = sessionOf(req);
      return s && req.keys.length === 1 ? { op: 'del', key: req.keys[0]!, ...s } : unsupported('del of several keys or without a session');
    }
    case 'cas': {
      const s = sessionOf(req);
      return s ? { op: 'cas', key: req.key, expected: req.expected, value: req.value, ...s } : unsupported('cas without a session');
    }
    default:
      return unsupported(`op ${req.op}`);
  }
}

function unsupported(what: string): RaftKvError {
  return new RaftKvError('BAD_REQUEST', `the simulated node does not serve ${what}`);
}
