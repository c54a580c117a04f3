/**
 * The supervisor's control socket: `raftkv ctl ...` and other local tools ask a running
 * `raftkv up` for status and to kill, stop or restart nodes. net-ipc over a Unix socket, one
 * request -> one reply (control-protocol.ts).
 *
 * A live socket is never taken over: starting a second supervisor on the same data directory is
 * refused. A stale socket file (its supervisor died) is removed.
 */
import { rmSync } from 'node:fs';
import { Client, Server } from 'net-ipc';
import { RaftKvError, toRaftKvError } from '../protocol/errors.js';
import { parseControlRequest, type ControlReply } from './control-protocol.js';
import { addMember, removeMember, transferLeader } from './member-changes.js';
import type { Supervisor } from './supervisor.js';

export interface ControlServer {
  readonly socketPath: string;
  /** Stops listening, closes connections and removes the socket file. Idempotent. */
  close(): Promise<void>;
}

export interface ControlServerOptions {
  /** Called after a `shutdown` request has been answered; the owner stops the cluster. */
  onShutdown: () => void;
}

/** A socket that accepts but does not complete net-ipc's handshake in this long is someone else's. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * Resolves true if something is listening on the Unix socket at `path` (then it must not be taken
 * over), false if the file is missing or stale (connection refused).
 *
 * The probe completes net-ipc's handshake and closes properly: a bare connect-and-drop would leave
 * the other supervisor holding a 10-second handshake timer, delaying its exit.
 */
export function isSocketLive(path: string): Promise<boolean> {
  const client = new Client({ path, reconnect: false });
  return new Promise((resolve) => {
    let settled = false;
    const finish = (live: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(live);
    };
    const timer = setTimeout(() => {
      client.destroy();
      finish(true);
    }, PROBE_TIMEOUT_MS);
    client.on('error', () => {});
    client.on('close', () => finish(false));
    client.connect().then(
      () => {
        finish(true);
        void client.close().catch(() => false);
      },
      () => finish(false),
    );
  });
}

async function handle(supervisor: Supervisor, raw: unknown, onShutdown: () => void): Promise<ControlReply> {
  try {
    const req = parseControlRequest(raw);
    switch (req.op) {
      case 'status':
        return { ok: true, value: await supervisor.status() };
      case 'kill':
        return { ok: true, value: await supervisor.kill(req.target) };
      case 'stop':
        return { ok: true, value: await supervisor.stopNode(req.id) };
      case 'restart':
        return { ok: true, value: await supervisor.restart(req.id) };
      case 'snapshot':
        return { ok: true, value: await supervisor.snapshot(req.target) };
      case 'isolate':
        return { ok: true, value: await supervisor.isolate(req.target) };
      case 'cut':
        return { ok: true, value: await supervisor.cut(req.a, req.b, req.oneWay) };
      case 'slow':
        return { ok: true, value: await supervisor.slow(req.id, req.ms) };
      case 'heal':
        return { ok: true, value: await supervisor.heal(req.id) };
      case 'add':
        return { ok: true, value: await addMember(supervisor, { learner: req.learner, ...(req.host === undefined ? {} : { host: req.host }) }) };
      case 'remove':
        await removeMember(supervisor, req.id);
        return { ok: true, value: null };
      case 'transfer':
        return { ok: true, value: await transferLeader(supervisor, req.id) };
      case 'shutdown':
        // Answer first; the owner stops the nodes and closes this server.
        setImmediate(onShutdown);
        return { ok: true, value: null };
    }
  } catch (err) {
    return { ok: false, error: toRaftKvError(err).toJSON() };
  }
}

export async function startControlServer(
  supervisor: Supervisor,
  socketPath: string,
  options: ControlServerOptions,
): Promise<ControlServer> {
  if (await isSocketLive(socketPath)) {
    throw new RaftKvError('BAD_CONFIG', `a supervisor is already running on ${socketPath} (stop it with \`raftkv ctl shutdown\`)`);
  }
  rmSync(socketPath, { force: true });
  // retries: 0 — net-ipc would otherwise retry a write to a client that left, for seconds, holding
  // this process open after shutdown.
  const server = new Server({ path: socketPath, retries: 0 });
  // Without a listener net-ipc swallows errors; a bad client must not take the supervisor down.
  server.on('error', () => {});
  server.on('request', (request: unknown, respond: (data: unknown) => Promise<void>) => {
    void handle(supervisor, request, options.onShutdown).then((reply) => respond(reply).catch(() => {}));
  });
  try {
    await server.start();
  } catch (err) {
    throw new RaftKvError('UNAVAILABLE', `cannot listen on ${socketPath}: ${(err as Error).message}`);
  }
  let closing: Promise<void> | null = null;
  return {
    socketPath,
    close() {
      closing ??= (async () => {
        await server.close().catch(() => {});
        rmSync(socketPath, { force: true });
      })();
      return closing;
    },
  };
}
