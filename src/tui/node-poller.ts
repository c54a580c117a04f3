/**
 * Polls one node over its client port: `status` every round, and `entries` only when the node's
 * log moved (its last index or term changed), so an idle cluster costs one small request per
 * node per round.
 *
 * Requests go through a RaftKvClient's per-node connection: one persistent socket per node,
 * reopened by the next request after a loss. A poll that fails pushes the next one back
 * (POLL_BACKOFF_MS: 250 ms, 500 ms, then every second), so a dead node is not hammered, and a
 * restarted one is seen again within a second. At most one poll per node is in flight, and each
 * request has a short deadline, so a hung node delays only its own row.
 */
import type { RaftKvClient } from '../client/raftkv-client.js';
import type { NodeStatusValue } from '../protocol/client-requests.js';
import { toRaftKvError } from '../protocol/errors.js';
import { entryViews, sameEntries } from './entry-view.js';
import type { LogEntryView } from './model.js';
import { NO_PROBE, type ProbeInfo } from './node-view.js';

/** Delay before the next poll after 1, 2, 3+ failures in a row. */
export const POLL_BACKOFF_MS: readonly number[] = [250, 500, 1000];

export interface NodePollerOptions {
  /** Deadline of each request. Default 700 ms: well above a healthy node's answer on a busy machine. */
  requestTimeoutMs?: number;
  /** How many of the node's latest log entries to fetch. Default 40. */
  entriesLimit?: number;
}

export class NodePoller {
  readonly id: number;
  readonly #client: RaftKvClient;
  readonly #requestTimeoutMs: number;
  readonly #entriesLimit: number;
  #probe: ProbeInfo = NO_PROBE;
  #entries: readonly LogEntryView[] = [];
  /** `lastLogIndex/lastLogTerm` the entries were fetched at; undefined = fetch on next success. */
  #entriesAt: string | undefined;
  #inFlight = false;
  #notBeforeMs = 0;

  constructor(id: number, client: RaftKvClient, options: NodePollerOptions = {}) {
    this.id = id;
    this.#client = client;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 700;
    this.#entriesLimit = options.entriesLimit ?? 40;
  }

  get probe(): ProbeInfo {
    return this.#probe;
  }

  /** The node's latest entries, oldest first; the same array until they change. */
  get entries(): readonly LogEntryView[] {
    return this.#entries;
  }

  /**
   * Polls once unless a poll is in flight or the backoff says wait. Never rejects. Afterwards
   * `probe` and `entries` hold what was learnt (the caller rebuilds its rows from them and keeps
   * what did not change).
   */
  async poll(): Promise<void> {
    if (this.#inFlight || Date.now() < this.#notBeforeMs) return;
    this.#inFlight = true;
    try {
      await this.#pollOnce();
    } finally {
      this.#inFlight = false;
    }
  }

  /** Forgets the backoff, so the next poll() asks at once (after a restart was requested). */
  wake(): void {
    this.#notBeforeMs = 0;
  }

  async #pollOnce(): Promise<void> {
    let status: NodeStatusValue;
    try {
      status = await this.#client.status(this.id, { timeoutMs: this.#requestTimeoutMs });
    } catch (err) {
      const failures = this.#probe.failures + 1;
      this.#notBeforeMs = Date.now() + POLL_BACKOFF_MS[Math.min(failures, POLL_BACKOFF_MS.length) - 1]!;
      this.#probe = { ...this.#probe, ok: false, failures, failureCode: toRaftKvError(err).code };
      return;
    }
    const before = this.#probe;
    const uptimeMs = typeof status.uptimeMs === 'number' ? status.uptimeMs : undefined;
    const samePid = before.status !== undefined && before.status.pid === status.pid && before.startedAtMs !== undefined;
    const startedAtMs = samePid ? before.startedAtMs : uptimeMs === undefined ? undefined : Date.now() - uptimeMs;
    this.#probe = { status, ok: true, failures: 0, startedAtMs };
    this.#notBeforeMs = 0;
    const at = `${status.lastLogIndex}/${String(status.lastLogTerm)}/${String(status.firstIndex)}`;
    if (at !== this.#entriesAt) {
      try {
        const fresh = entryViews(await this.#client.entries(this.id, this.#entriesLimit, { timeoutMs: this.#requestTimeoutMs }));
        this.#entriesAt = at;
        if (!sameEntries(this.#entries, fresh)) this.#entries = fresh;
      } catch {
        // Fetched again on the next successful poll (#entriesAt unchanged).
      }
    }
  }
}
