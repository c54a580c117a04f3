/**
 * The supervisor's end of the IPC channel to its node processes (protocol/fault-messages.ts):
 * sends a node its fault settings and waits for the acknowledgement, with a deadline, so a hung
 * or dying node cannot stall `ctl isolate`.
 */
import type { ChildProcess } from 'node:child_process';
import { isFaultsAck, type FaultSettingsWire, type FaultsSet } from '../protocol/fault-messages.js';

export class FaultChannel {
  private seq = 0;
  private readonly waiting = new Map<number, (ok: boolean) => void>();

  /** Feed every message a child sends here; acknowledgements settle their sends. */
  onMessage(raw: unknown): void {
    if (!isFaultsAck(raw)) return;
    const done = this.waiting.get(raw.seq);
    this.waiting.delete(raw.seq);
    done?.(raw.ok);
  }

  /** Resolves true once the node applied the settings; false if it refused, left, or timed out. */
  send(child: ChildProcess, settings: FaultSettingsWire, timeoutMs: number): Promise<boolean> {
    if (!child.connected) return Promise.resolve(false);
    const seq = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.waiting.delete(seq);
        resolve(ok);
      };
      this.waiting.set(seq, finish);
      const msg: FaultsSet = { type: 'faults-set', seq, settings };
      try {
        child.send(msg, (err) => err && finish(false));
      } catch {
        finish(false);
      }
    });
  }
}
