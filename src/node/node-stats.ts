/**
 * Counters of a node's client work, for INFO stats and the Prometheus metrics: connections,
 * commands and their outcomes per op, the recent rate (Redis's instantaneous_ops_per_sec: the
 * mean of the last 16 samples taken every 100 ms) and the WAL's write+fsync latency.
 */
import { LatencyWindow } from './latency-window.js';

/** Optional observer (metrics.ts) called for every finished request and every WAL sync. */
export interface StatsObserver {
  request(op: string, result: string, seconds: number): void;
  fsync(seconds: number): void;
}

const RATE_SAMPLES = 16;
const RATE_SAMPLE_MS = 100;

export class NodeStats {
  connectionsReceived = 0;
  /** Connections turned away at the max-clients limit (INFO rejected_connections). */
  rejectedConnections = 0;
  commandsProcessed = 0;
  errorReplies = 0;
  /** `${op} ${result}` -> count; result is "ok" or an error code. */
  readonly requests = new Map<string, number>();
  readonly fsyncMs = new LatencyWindow(1024);
  observer: StatsObserver | null = null;
  private readonly rates: number[] = [];
  private lastSample = { at: performance.now(), commands: 0 };
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), RATE_SAMPLE_MS);
    this.timer.unref();
  }

  /** A request finished: `error` is its error code, or null. */
  request(op: string, error: string | null, startedAt: number): void {
    this.commandsProcessed++;
    if (error !== null) this.errorReplies++;
    const result = error ?? 'ok';
    const key = `${op} ${result}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    this.observer?.request(op, result, (performance.now() - startedAt) / 1000);
  }

  fsync(ms: number): void {
    this.fsyncMs.record(ms);
    this.observer?.fsync(ms / 1000);
  }

  /** Commands per second over the last ~1.6 s. */
  get opsPerSecond(): number {
    if (this.rates.length === 0) return 0;
    return Math.round(this.rates.reduce((a, b) => a + b, 0) / this.rates.length);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const now = performance.now();
    const ms = now - this.lastSample.at;
    if (ms <= 0) return;
    this.rates.push(((this.commandsProcessed - this.lastSample.commands) * 1000) / ms);
    if (this.rates.length > RATE_SAMPLES) this.rates.shift();
    this.lastSample = { at: now, commands: this.commandsProcessed };
  }
}
