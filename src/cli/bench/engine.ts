/**
 * The load engine: one test (SET, GET, CAS or mixed) over `clients` raw TCP connections, each
 * keeping up to `pipeline` RESP2 requests in flight, until `requests` replies have come back or
 * the time budget is spent. It shares 2 cores with the nodes it measures, so the hot path is
 * cheap: pre-encoded requests (requests.ts), a reply reader that skips instead of parsing
 * (reply-counter.ts), replies read into one shared buffer (connect.ts), send times in a
 * typed-array ring per connection, and one interval timer per test (progress and stall check),
 * never one per request.
 *
 * Latency of a request = time its reply was read - time it was written (with pipelining, all the
 * requests written in one batch share that batch's time). Throughput = replies / (last reply -
 * first write). Error replies (`-ERR ...`, `-NOT_LEADER ...`) are counted, and the first message
 * kept; they do not stop the test. A closed connection, a broken reply stream or no reply for
 * `stallTimeoutMs` fails the test.
 *
 * Bounded memory: a connection never has more than `pipeline` requests written and unanswered, so
 * what the socket buffers is at most pipeline x request size, whatever write() returns.
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { RaftKvError } from '../../protocol/errors.js';
import { connectAll, type OpenedConnection } from './connect.js';
import { createLatencyHistogram, summarizeLatency, type LatencyHistogram, type LatencySummaryMs } from './latency.js';
import type { BenchNode, BenchSize, TestName } from './options.js';
import { ReplyCounter, type ErrorTally } from './reply-counter.js';
import { requestSource, type RequestSource } from './requests.js';

export interface TestSpec {
  test: TestName;
  clients: number;
  pipeline: number;
  size: BenchSize;
  dataSizeBytes: number;
  keyspace: number | null;
  readRatio: number;
  nodes: readonly BenchNode[];
  /** Default 5000. */
  connectTimeoutMs?: number;
  /** Fail when requests are in flight and no reply came for this long. Default 10000. */
  stallTimeoutMs?: number;
  /** Called every `tickMs` while the test runs (the progress line). */
  onTick?: (p: TestProgress) => void;
  /** Default 200. */
  tickMs?: number;
  /** Aborting ends the test at once with BenchInterrupted. */
  signal?: AbortSignal;
}

export interface TestProgress {
  test: TestName;
  completed: number;
  /** Requests mode: the total; duration mode: null. */
  requests: number | null;
  /** Duration mode: the budget; requests mode: null. */
  durationSeconds: number | null;
  elapsedSeconds: number;
}

export interface TestResult {
  test: TestName;
  clients: number;
  pipeline: number;
  dataSizeBytes: number;
  keyspace: number | null;
  /** Replies received (errors included). */
  requests: number;
  errors: number;
  /** The first error reply's text (`ERR ...`), or null. */
  firstError: string | null;
  seconds: number;
  rps: number;
  latencyMs: LatencySummaryMs;
}

/** The test was stopped by its AbortSignal (Ctrl-C). */
export class BenchInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'BenchInterrupted';
  }
}

interface Conn {
  socket: net.Socket;
  address: string;
  counter: ReplyCounter;
  /** Send times (performance.now() ms) of the requests in flight, oldest at `head`. */
  times: Float64Array;
  head: number;
  inflight: number;
}

/** Runs one test: connects, applies the load, closes every connection; resolves with the numbers. */
export async function runTest(spec: TestSpec): Promise<TestResult> {
  if (spec.signal?.aborted) throw new BenchInterrupted();
  const load = new LoadRun(spec);
  const opened = await connectAll(spec.nodes, spec.clients, spec.connectTimeoutMs ?? 5000, (i, bytes) => load.onData(i, bytes));
  if (spec.signal?.aborted) {
    for (const c of opened) c.socket.destroy();
    throw new BenchInterrupted();
  }
  return load.run(opened);
}

class LoadRun {
  private conns: Conn[] = [];
  private readonly hist: LatencyHistogram = createLatencyHistogram();
  private readonly tally: ErrorTally = { count: 0, first: null };
  private readonly source: RequestSource;
  private readonly pipeline: number;
  /** Requests mode: the total to send; duration mode: Infinity. */
  private readonly target: number;
  private deadline = Infinity;
  private issued = 0;
  private completed = 0;
  private startedAt = 0;
  private lastReplyAt = 0;
  private finished = false;
  private timer: NodeJS.Timeout | null = null;
  private resolve!: (r: TestResult) => void;
  private reject!: (e: unknown) => void;
  private readonly onAbort = (): void => this.fail(new BenchInterrupted());

  constructor(private readonly spec: TestSpec) {
    this.pipeline = spec.pipeline;
    this.target = spec.size.kind === 'requests' ? spec.size.requests : Infinity;
    this.source = requestSource({
      test: spec.test,
      dataSizeBytes: spec.dataSizeBytes,
      keyspace: spec.keyspace,
      readRatio: spec.readRatio,
      maxBatch: spec.pipeline,
    });
  }

  /** Starts the load on the connections (index i = client i); resolves when the test is done. */
  run(opened: readonly OpenedConnection[]): Promise<TestResult> {
    this.conns = opened.map(({ socket, address }) => ({
      socket,
      address,
      counter: new ReplyCounter(this.tally),
      times: new Float64Array(this.pipeline),
      head: 0,
      inflight: 0,
    }));
    return new Promise<TestResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      for (const conn of this.conns) {
        let why = '';
        conn.socket.on('error', (err: NodeJS.ErrnoException) => (why = `: ${err.code ?? err.message}`));
        conn.socket.on('close', () => {
          this.fail(new RaftKvError('CONNECTION_LOST', `connection to ${conn.address} closed during the ${this.spec.test.toUpperCase()} test (${conn.inflight} requests unanswered)${why}`));
        });
      }
      this.spec.signal?.addEventListener('abort', this.onAbort);
      this.timer = setInterval(() => this.tick(), this.spec.tickMs ?? 200);
      const now = performance.now();
      this.startedAt = now;
      this.lastReplyAt = now;
      if (this.spec.size.kind === 'duration') this.deadline = now + this.spec.size.seconds * 1000;
      for (const conn of this.conns) this.issue(conn, now);
      // -n smaller than -c: connections that got nothing to send leave the others to finish.
    });
  }

  /** Fills `conn`'s pipeline, as far as the request count or the time budget allow. */
  private issue(conn: Conn, now: number): void {
    let k = this.pipeline - conn.inflight;
    if (now >= this.deadline) return;
    if (this.target - this.issued < k) k = this.target - this.issued;
    if (k <= 0) return;
    const bytes = this.source.next(k);
    const times = conn.times;
    let at = (conn.head + conn.inflight) % this.pipeline;
    for (let j = 0; j < k; j++) {
      times[at] = now;
      at = at + 1 === this.pipeline ? 0 : at + 1;
    }
    conn.inflight += k;
    this.issued += k;
    conn.socket.write(bytes);
  }

  /** Bytes from connection `index`, valid only during this call (a shared read buffer). */
  onData(index: number, chunk: Buffer): void {
    const conn = this.conns[index];
    // Nothing is sent before run(); a server speaking first is ignored until then.
    if (this.finished || conn === undefined) return;
    let done: number;
    try {
      done = conn.counter.feed(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (done === 0) return;
    if (done > conn.inflight) {
      this.fail(new RaftKvError('PROTOCOL_ERROR', `${conn.address} sent ${done} replies for ${conn.inflight} requests`));
      return;
    }
    const now = performance.now();
    const times = conn.times;
    let head = conn.head;
    for (let j = 0; j < done; j++) {
      const us = Math.round((now - times[head]!) * 1000);
      this.hist.recordValue(us > 0 ? us : 0);
      head = head + 1 === this.pipeline ? 0 : head + 1;
    }
    conn.head = head;
    conn.inflight -= done;
    this.completed += done;
    this.lastReplyAt = now;
    if (this.completed === this.issued && (this.issued >= this.target || now >= this.deadline)) {
      this.finish(now);
      return;
    }
    this.issue(conn, now);
  }

  private tick(): void {
    const now = performance.now();
    const stallMs = this.spec.stallTimeoutMs ?? 10_000;
    if (this.issued > this.completed && now - this.lastReplyAt > stallMs) {
      this.fail(
        new RaftKvError(
          'TIMEOUT',
          `no reply for ${(stallMs / 1000).toFixed(1)} s during the ${this.spec.test.toUpperCase()} test (${this.issued - this.completed} requests in flight); is the cluster healthy? (raftkv status)`,
        ),
      );
      return;
    }
    this.spec.onTick?.(this.progress(now));
  }

  private progress(now: number): TestProgress {
    const size = this.spec.size;
    return {
      test: this.spec.test,
      completed: this.completed,
      requests: size.kind === 'requests' ? size.requests : null,
      durationSeconds: size.kind === 'duration' ? size.seconds : null,
      elapsedSeconds: (now - this.startedAt) / 1000,
    };
  }

  /** Stops timers and listeners and closes every connection (one cleanup path for all endings). */
  private close(): void {
    this.finished = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.spec.signal?.removeEventListener('abort', this.onAbort);
    for (const conn of this.conns) {
      conn.socket.removeAllListeners('close');
      conn.socket.destroy();
    }
  }

  private finish(now: number): void {
    if (this.finished) return;
    this.close();
    const seconds = (now - this.startedAt) / 1000;
    const s = this.spec;
    this.resolve({
      test: s.test,
      clients: s.clients,
      pipeline: s.pipeline,
      dataSizeBytes: s.dataSizeBytes,
      keyspace: s.keyspace,
      requests: this.completed,
      errors: this.tally.count,
      firstError: this.tally.first,
      seconds,
      rps: seconds > 0 ? this.completed / seconds : 0,
      latencyMs: summarizeLatency(this.hist),
    });
  }

  private fail(err: unknown): void {
    if (this.finished) return;
    this.close();
    this.reject(err);
  }
}
