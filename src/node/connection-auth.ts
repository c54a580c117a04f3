/**
 * The authentication state of one client connection (protocol in ../protocol/auth.ts): answers
 * AUTH in either dialect, refuses everything else but HELLO and QUIT with NOAUTH until the
 * connection has authenticated, and closes a connection that has not authenticated within
 * `timeoutMs` when a password is set (an idle stranger must not hold a client slot forever).
 *
 * The password is never logged: log lines name the client's address and the outcome only.
 */
import type net from 'node:net';
import { ALLOWED_BEFORE_AUTH, NOAUTH_ERROR, parseAuthArgv, type PasswordCheck } from '../protocol/auth.js';
import { encodeJsonError, encodeJsonReply, type ClientRequest, type RequestId } from '../protocol/client-requests.js';
import { RaftKvError } from '../protocol/errors.js';
import { RESP_OK } from '../protocol/resp.js';
import { encodeRespError } from '../protocol/resp-errors.js';
import type { RateLimitedLog } from './rate-limited-log.js';

export class ConnectionAuth {
  private authenticated: boolean;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly check: PasswordCheck,
    private readonly socket: net.Socket,
    private readonly log: RateLimitedLog,
    timeoutMs: number,
  ) {
    this.authenticated = !check.required;
    if (!this.authenticated) {
      this.timer = setTimeout(() => {
        this.log.warn(`client ${socket.remoteAddress}:${socket.remotePort}: not authenticated within ${timeoutMs} ms; closing the connection`);
        socket.destroy();
      }, timeoutMs);
      this.timer.unref();
      socket.once('close', () => this.stopTimer());
    }
  }

  /** A Redis command: its reply if auth answers it (AUTH, or NOAUTH), else null (run it). */
  redis(argv: readonly string[]): string | null {
    const name = argv[0]!.toLowerCase();
    if (name === 'auth') {
      const attempt = parseAuthArgv(argv);
      if (!attempt) return encodeRespError(new RaftKvError('BAD_REQUEST', "wrong number of arguments for 'auth' command"));
      const err = this.attempt(attempt.user, attempt.password, argv.length === 3);
      return err ? encodeRespError(err) : RESP_OK;
    }
    return this.authenticated || ALLOWED_BEFORE_AUTH.has(name) ? null : encodeRespError(NOAUTH_ERROR);
  }

  /** A JSON request: its reply line if auth answers it, else null. */
  json(id: RequestId, req: ClientRequest): string | null {
    if (req.op === 'auth') {
      const err = this.attempt(req.user ?? 'default', req.password, req.user !== undefined);
      return err ? encodeJsonError(id, err) : encodeJsonReply(id, 'OK');
    }
    return this.authenticated ? null : encodeJsonError(id, NOAUTH_ERROR);
  }

  private attempt(user: string, password: string, userGiven: boolean): RaftKvError | null {
    const err = this.check.verify({ user, password }, userGiven);
    if (err === null) {
      this.authenticated = true;
      this.stopTimer();
    } else if (err.code === 'WRONGPASS') {
      this.log.warn(`client ${this.socket.remoteAddress}:${this.socket.remotePort}: AUTH failed (wrong password or user)`);
    }
    return err;
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
