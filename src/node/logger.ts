/**
 * The node's human-readable log: one line per event that matters, appended to
 * `<logDir>/node-<id>.log` (and mirrored to stderr when asked). Heartbeat-level detail only at
 * debug level. Writes are synchronous appends: a line is on its way to the file before a crash,
 * and the volume (events, not requests) is small.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function fileLogger(path: string | null, opts: { level?: LogLevel; prefix?: string; mirror?: NodeJS.WritableStream } = {}): Logger {
  const min = LEVELS[opts.level ?? 'info'];
  if (path) mkdirSync(dirname(path), { recursive: true });
  const write = (level: LogLevel, msg: string) => {
    if (LEVELS[level] < min) return;
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${opts.prefix ?? ''}${escapeControlBytes(msg)}\n`;
    if (path) {
      try {
        appendFileSync(path, line);
      } catch {
        // A full disk must not take the node down through its logger.
      }
    }
    opts.mirror?.write(line);
  };
  return {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  };
}

/**
 * Messages quote what clients and peers sent; raw control bytes from them could forge log lines
 * (a newline) or drive the terminal of whoever reads the log (escape sequences). C0 controls, DEL
 * and the C1 range are written as `\xHH`, so every event stays one printable line.
 */
export function escapeControlBytes(msg: string): string {
  // eslint-disable-next-line no-control-regex
  return CONTROL.test(msg) ? msg.replace(CONTROL_ALL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : msg;
}
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_ALL = /[\x00-\x1f\x7f-\x9f]/g;

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
