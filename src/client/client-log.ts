/**
 * Client events worth a line in `logs/client.log`: connections made and lost, retries, leader
 * changes and give-ups. The library only calls a ClientLogger; where the lines go is the caller's
 * choice (the CLI appends them to a file, tests collect them in an array).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export type ClientEventKind = 'connect' | 'disconnect' | 'retry' | 'leader-change' | 'give-up' | 'protocol-error';

export interface ClientLogEvent {
  kind: ClientEventKind;
  /** The node the event concerns, when there is one. */
  nodeId?: number;
  /** One human-readable sentence. */
  message: string;
}

/** Must not throw; it is called from socket callbacks. */
export type ClientLogger = (event: ClientLogEvent) => void;

export interface ClientLogFile {
  logger: ClientLogger;
  close(): void;
}

/**
 * Appends one line per event to `path` (`<ISO time> <tag> <kind> [node N] message`). Writes are
 * synchronous so a one-shot CLI command that exits right after a failure still leaves its lines;
 * events are rare (not one per request), so this costs nothing measurable. A write that fails
 * (disk full, file removed) is dropped rather than failing the client.
 */
export function openClientLogFile(path: string, tag: string): ClientLogFile {
  mkdirSync(dirname(path), { recursive: true });
  let fd: number | null = openSync(path, 'a');
  return {
    logger(event) {
      if (fd === null) return;
      const node = event.nodeId !== undefined ? ` node ${event.nodeId}` : '';
      const line = `${new Date().toISOString()} ${tag} ${event.kind}${node}: ${event.message}\n`;
      try {
        writeSync(fd, line);
      } catch {
        // Logging must never break the client.
      }
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
