/**
 * A stand-in node for client tests: a real TCP server on a port from the OS that speaks the JSON
 * dialect, with a scriptable handler per request. It can answer (ok or an error such as
 * NOT_LEADER), stay silent, drop the connection, or send garbage. Every request it receives is
 * recorded, so tests can check what the client sent (ids, clientId, seq).
 *
 * The default handler is a tiny in-memory KV store, enough for get/set/del/cas/exists/keys/status.
 */
import { createServer, type Server, type Socket } from 'node:net';
import split2 from 'split2';

export type FakeRequest = Record<string, any>;

export type FakeAction =
  /** Reply `{id, ok: true, value}`. */
  | { value: unknown }
  /** Reply `{id, ok: false, error: {code, message, details?}}`. */
  | { error: { code: string; message?: string; details?: Record<string, unknown> } }
  /** Send this line as is (garbage tests). */
  | { raw: string }
  /** Say nothing. */
  | 'silent'
  /** Close the connection without answering. */
  | 'drop';

export type FakeHandler = (req: FakeRequest, node: FakeNode) => FakeAction | Promise<FakeAction>;

export class FakeNode {
  readonly id: number;
  readonly requests: FakeRequest[] = [];
  readonly sockets = new Set<Socket>();
  /** Connections accepted so far (to see reconnects). */
  accepted = 0;
  handler: FakeHandler;
  readonly store = new Map<string, string>();
  role = 'leader';
  leader = 0;
  #server: Server;
  port = 0;

  private constructor(id: number, handler?: FakeHandler) {
    this.id = id;
    this.handler = handler ?? ((req) => this.kv(req));
    this.#server = createServer((socket) => this.#onConnection(socket));
  }

  /** Listens on `port` (default: one from the OS). */
  static async start(id: number, handler?: FakeHandler, port = 0): Promise<FakeNode> {
    const node = new FakeNode(id, handler);
    await new Promise<void>((resolve, reject) => {
      node.#server.once('error', reject);
      node.#server.listen({ port, host: '127.0.0.1' }, resolve);
    });
    const address = node.#server.address();
    if (address === null || typeof address === 'string') throw new Error('fake node: no TCP address');
    node.port = address.port;
    return node;
  }

  get address(): { id: number; host: string; port: number } {
    return { id: this.id, host: '127.0.0.1', port: this.port };
  }

  /** Requests with the given op. */
  ops(op: string): FakeRequest[] {
    return this.requests.filter((r) => r.op === op);
  }

  /** Closes every open connection (the server keeps listening). */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The default behaviour: a minimal KV store. */
  kv(req: FakeRequest): FakeAction {
    switch (req.op) {
      case 'get':
        return { value: this.store.get(req.key) ?? null };
      case 'set':
        this.store.set(req.key, req.value);
        return { value: 'OK' };
      case 'del': {
        const keys: string[] = req.keys ?? [req.key];
        let n = 0;
        for (const k of new Set(keys)) if (this.store.delete(k)) n++;
        return { value: n };
      }
      case 'cas': {
        const current = this.store.get(req.key) ?? null;
        if (current !== req.expected) return { value: false };
        this.store.set(req.key, req.value);
        return { value: true };
      }
      case 'exists': {
        const keys: string[] = req.keys ?? [req.key];
        return { value: keys.filter((k) => this.store.has(k)).length };
      }
      case 'keys':
        return { value: [...this.store.keys()].sort() };
      case 'status':
        return {
          value: { id: this.id, role: this.role, term: 1, leader: this.leader || this.id, commitIndex: 5, lastApplied: 5, lastLogIndex: 5 },
        };
      case 'entries':
        return { value: [{ term: 1, index: 1, kind: 'noop' }] };
      default:
        return { error: { code: 'UNKNOWN_OP', message: `unknown op '${req.op}'` } };
    }
  }

  #onConnection(socket: Socket): void {
    this.accepted++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    socket.pipe(split2()).on('data', async (line: string) => {
      let req: FakeRequest;
      try {
        req = JSON.parse(line);
      } catch {
        socket.write(`${JSON.stringify({ id: null, ok: false, error: { code: 'BAD_REQUEST', message: 'malformed JSON' } })}\n`);
        return;
      }
      this.requests.push(req);
      const action = await this.handler(req, this);
      if (action === 'silent') return;
      if (action === 'drop') {
        socket.destroy();
        return;
      }
      if ('raw' in action) socket.write(action.raw);
      else if ('value' in action) socket.write(`${JSON.stringify({ id: req.id, ok: true, value: action.value })}\n`);
      else {
        const error = { message: `fake ${action.error.code}`, ...action.error };
        socket.write(`${JSON.stringify({ id: req.id, ok: false, error })}\n`);
      }
    });
  }
}

