/**
 * AUTH on the client port, in both dialects, with Redis's exact replies (DESIGN.md "Auth"):
 *
 *   AUTH <password> | AUTH default <password>   (Redis)      {"op":"auth","password":"…"} (JSON)
 *   before it, any command but AUTH, HELLO, QUIT  -> -NOAUTH Authentication required.
 *   a wrong password                              -> -WRONGPASS invalid username-password pair or user is disabled.
 *
 * There is one user, `default`, as in Redis with `requirepass`. The comparison takes the same time
 * whatever the password tried (SHA-256 both sides, then timingSafeEqual), so timing does not leak
 * how much of a guess was right.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { RaftKvError } from './errors.js';

export const NOAUTH_ERROR = new RaftKvError('NOAUTH', 'Authentication required.');
export const WRONGPASS_ERROR = new RaftKvError('WRONGPASS', 'invalid username-password pair or user is disabled.');
/** Redis's answer to `AUTH <password>` when no password is set. */
export const NO_PASSWORD_SET_ERROR = new RaftKvError(
  'BAD_REQUEST',
  'AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
);

/** Commands a client may send before authenticating (Redis: AUTH, HELLO, QUIT; RESET too is harmless but Redis requires auth for it). */
export const ALLOWED_BEFORE_AUTH: ReadonlySet<string> = new Set(['auth', 'hello', 'quit']);

export interface AuthAttempt {
  user: string;
  password: string;
}

/** `AUTH [user] password` argv (name included) -> the attempt, or null on a wrong word count. */
export function parseAuthArgv(argv: readonly string[]): AuthAttempt | null {
  if (argv.length === 2) return { user: 'default', password: argv[1]! };
  if (argv.length === 3) return { user: argv[1]!, password: argv[2]! };
  return null;
}

/** The node's password check: null password = none set (every client is in, as Redis without requirepass). */
export class PasswordCheck {
  private readonly digest: Buffer | null;

  constructor(password: string | null) {
    this.digest = password === null ? null : sha256(password);
  }

  get required(): boolean {
    return this.digest !== null;
  }

  /** Null if the attempt is accepted, else the error to answer with. Constant time in the password. */
  verify(attempt: AuthAttempt, userGiven: boolean): RaftKvError | null {
    if (this.digest === null) return userGiven && attempt.user === 'default' ? null : userGiven ? WRONGPASS_ERROR : NO_PASSWORD_SET_ERROR;
    const same = timingSafeEqual(sha256(attempt.password), this.digest);
    return same && attempt.user === 'default' ? null : WRONGPASS_ERROR;
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
