/**
 * Opening the bench's connections before a test starts (connection set-up is not part of the
 * measurement, as in redis-benchmark). Client i goes to nodes[i % nodes.length]. Any failure
 * closes every socket opened so far and says which address failed and why.
 *
 * Replies are read with `onread` into ONE buffer shared by all the connections, not as 'data'
 * events: no Buffer allocated per read and no trip through the Readable stream machinery. Sharing
 * is safe because each read is handed to `onRead` and consumed synchronously before the next read
 * reuses the memory (the consumer must copy anything it keeps).
 *
 * A secure cluster (node.security): the connection is TLS ('data' events: a TLS socket has no
 * onread) and, with a password, says `AUTH <password>` first; the connection counts as open once
 * `+OK` came back, so the engine never sees that reply.
 */
import net from 'node:net';
import { RaftKvError } from '../../protocol/errors.js';
import type { BenchNode } from './options.js';
import { connectClientPort } from '../../client/client-security.js';
import { encodeCommand } from '../../protocol/resp.js';

export interface OpenedConnection {
  socket: net.Socket;
  /** `host:port`, for messages. */
  address: string;
}

/** Bytes one read may fill; a reply burst larger than this arrives in several reads. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * Opens `clients` connections; `onRead(i, bytes)` gets what connection i receives (`bytes` is only
 * valid during the call).
 */
export function connectAll(
  nodes: readonly BenchNode[],
  clients: number,
  timeoutMs: number,
  onRead: (index: number, bytes: Buffer) => void,
): Promise<OpenedConnection[]> {
  if (nodes.length === 0) throw new RaftKvError('INTERNAL', 'bench: no nodes to connect to');
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  return new Promise((resolve, reject) => {
    const opened: OpenedConnection[] = [];
    let connected = 0;
    let settled = false;
    const fail = (err: RaftKvError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const c of opened) c.socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => {
      const waiting = opened.filter((c) => c.socket.connecting).map((c) => c.address);
      fail(new RaftKvError('UNAVAILABLE', `no connection to ${[...new Set(waiting)].join(', ')} within ${timeoutMs} ms`));
    }, timeoutMs);
    for (let i = 0; i < clients; i++) {
      const node = nodes[i % nodes.length]!;
      const address = `${node.host}:${node.port}`;
      const onOpen = () => {
        connected++;
        if (connected === clients && !settled) {
          settled = true;
          clearTimeout(timer);
          // The engine installs its own handlers; the connect-phase ones must not fire later.
          for (const c of opened) c.socket.removeAllListeners('error');
          resolve(opened);
        }
      };
      if (node.security) {
        const socket = openSecure(node, (bytes) => onRead(i, bytes), onOpen, (why) => fail(new RaftKvError('UNAVAILABLE', `${address}: ${why}`)));
        opened.push({ socket, address });
        socket.once('error', (err: NodeJS.ErrnoException) => fail(new RaftKvError('UNAVAILABLE', `cannot connect to ${address}: ${err.code ?? err.message}`)));
        continue;
      }
      // noDelay: with Nagle on, a lone small request waits for the previous ACK (40 ms on Linux).
      const socket = net.connect({
        host: node.host,
        port: node.port,
        noDelay: true,
        onread: {
          buffer: readBuffer,
          callback: (n: number) => {
            onRead(i, readBuffer.subarray(0, n));
            return true; // keep reading
          },
        },
      });
      opened.push({ socket, address });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        fail(new RaftKvError('UNAVAILABLE', `cannot connect to ${address}: ${err.code ?? err.message} (is the cluster running? \`raftkv up\` starts one)`));
      });
      socket.once('connect', onOpen);
    }
  });
}

/** A TLS (and AUTH) connection; `onOpen` once ready for requests, `onRead` with every later byte. */
function openSecure(node: BenchNode, onRead: (bytes: Buffer) => void, onOpen: () => void, onFail: (why: string) => void): net.Socket {
  const { socket, readyEvent } = connectClientPort(node.host, node.port, node.security);
  socket.setNoDelay(true);
  const password = node.security?.password;
  let authReply = password === undefined ? null : '';
  socket.on('data', (bytes: Buffer) => {
    if (authReply === null) return onRead(bytes);
    authReply += bytes.toString('latin1');
    const end = authReply.indexOf('\r\n');
    if (end === -1) return;
    if (authReply.slice(0, end) !== '+OK') return onFail(`AUTH refused: ${authReply.slice(0, end)}`);
    const rest = Buffer.from(authReply.slice(end + 2), 'latin1');
    authReply = null;
    onOpen();
    if (rest.length > 0) onRead(rest);
  });
  socket.once(readyEvent, () => {
    if (password === undefined) onOpen();
    else socket.write(encodeCommand(['AUTH', password]));
  });
  return socket;
}
