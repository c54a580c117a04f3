/**
 * Free TCP ports from the OS, for `raftkv up --nodes N` and tests: listen on port 0 and keep every
 * listener open until all ports are collected, so the OS cannot hand the same port out twice.
 * The ports are free when this returns; something else could take one before the node binds it,
 * which a node reports as EADDRINUSE at start (rare, and loud).
 */
import { createServer, type Server } from 'node:net';

function listenOnFreePort(host: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('free-ports: listener has no TCP address'));
        return;
      }
      resolve({ server, port: address.port });
    });
  });
}

/** `count` distinct ports that are free on `host` right now. */
export async function findFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const held: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const { server, port } = await listenOnFreePort(host);
      held.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Resolves true if `port` can be bound on `host` now (used to check ports given with --base-port). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
