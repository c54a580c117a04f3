/**
 * The chaos test's clients: one request at a time on one connection to a node, in one of the
 * three dialects of the client port (JSON lines, RESP2 arrays, inline commands), each answer
 * sorted into ok (with the value in the checker's terms), a definite failure (the op did not
 * happen), or unknown (a timeout or a lost connection: it may still happen).
 */
import net from 'node:net';
import split2 from 'split2';
import { errorFromResp } from '../../src/protocol/resp-errors.js';
import { encodeCommand, RespReplyParser, type RespReply } from '../../src/protocol/resp.js';

export type Dialect = 'json' | 'resp' | 'inline';
export type ChaosOp = { op: 'get'; key: string } | { op: 'set'; key: string; value: string } | { op: 'cas'; key: string; expected: string | null; value: string };
export type Outcome = { kind: 'ok'; value: unknown } | { kind: 'failed'; code: string } | { kind: 'unknown'; why: string };

/** Error codes after which the op certainly did not take effect (the node's errors say so). */
export const DEFINITE_FAILURES = new Set(['NO_LEADER', 'PROPOSAL_DROPPED', 'NOT_LEADER', 'BAD_REQUEST', 'SHUTTING_DOWN', 'UNAVAILABLE']);

function words(op: ChaosOp): string[] {
  if (op.op === 'get') return ['GET', op.key];
  if (op.op === 'set') return ['SET', op.key, op.value];
  // CAS with an absent expected value is SET NX in Redis terms.
  return op.expected === null ? ['SET', op.key, op.value, 'NX'] : ['CAS', op.key, op.expected, op.value];
}

function fromResp(op: ChaosOp, r: RespReply): Outcome {
  if (r.type === 'error') {
    const code = errorFromResp(r.message).code;
    return DEFINITE_FAILURES.has(code) ? { kind: 'failed', code } : { kind: 'unknown', why: r.message };
  }
  if (op.op === 'get' && r.type === 'bulk') return { kind: 'ok', value: r.value };
  if (op.op === 'set' && r.type === 'simple' && r.value === 'OK') return { kind: 'ok', value: 'OK' };
  if (op.op === 'cas' && op.expected === null) return { kind: 'ok', value: r.type === 'simple' };
  if (op.op === 'cas' && r.type === 'integer') return { kind: 'ok', value: r.value === 1 };
  throw new Error(`unexpected reply to ${words(op).join(' ')}: ${JSON.stringify(r)}`);
}

function fromJson(line: string): Outcome {
  const r = JSON.parse(line) as { ok: boolean; value?: unknown; error?: { code: string } };
  if (r.ok) return { kind: 'ok', value: r.value };
  const code = r.error?.code ?? '?';
  return DEFINITE_FAILURES.has(code) ? { kind: 'failed', code } : { kind: 'unknown', why: code };
}

export class ChaosClient {
  private socket: net.Socket | null = null;
  private pending: ((o: Outcome) => void) | null = null;
  /** The op in flight (RESP replies do not say what they answer). */
  private current: ChaosOp | null = null;

  constructor(
    readonly dialect: Dialect,
    private readonly port: () => number,
  ) {}

  /** One request; `unknown` when no answer comes within timeoutMs or the connection drops. */
  request(op: ChaosOp, timeoutMs: number): Promise<Outcome> {
    const s = (this.socket ??= this.connect());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = null;
        this.drop(s); // a late answer must not be taken for the next request's
        resolve({ kind: 'unknown', why: 'timeout' });
      }, timeoutMs);
      this.current = op;
      this.pending = (o) => {
        clearTimeout(timer);
        resolve(o);
      };
      if (this.dialect === 'json') s.write(JSON.stringify({ id: 1, ...op }) + '\n');
      else if (this.dialect === 'resp') s.write(encodeCommand(words(op)));
      // Values and keys are plain words, so inline needs no quoting.
      else s.write(words(op).join(' ') + '\r\n');
    });
  }

  close(): void {
    if (this.socket) this.drop(this.socket);
  }

  private drop(s: net.Socket): void {
    s.destroy();
    if (this.socket === s) this.socket = null;
  }

  private answer(o: Outcome): void {
    const p = this.pending;
    this.pending = null;
    p?.(o);
  }

  private connect(): net.Socket {
    const s = net.connect({ host: '127.0.0.1', port: this.port() });
    s.on('error', () => {});
    s.on('close', () => {
      if (this.socket === s) this.socket = null;
      this.answer({ kind: 'unknown', why: 'connection closed' });
    });
    if (this.dialect === 'json') {
      s.pipe(split2()).on('data', (line: string) => this.answer(fromJson(line)));
    } else {
      const parser = new RespReplyParser();
      s.on('data', (chunk: Buffer) => {
        for (const r of parser.feed(chunk)) this.answer(this.current ? fromResp(this.current, r) : { kind: 'unknown', why: 'unsolicited reply' });
      });
    }
    return s;
  }
}
