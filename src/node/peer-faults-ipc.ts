/**
 * Listens for fault settings from the supervisor on the child-process IPC channel and applies
 * them to the node's PeerFaults. Only active when this process has such a channel (it was started
 * by a supervisor with 'ipc' in its stdio): a node run by hand cannot be told anything, and no
 * port of the node takes these commands.
 */
import { parseFaultsSet, type FaultsAck } from '../protocol/fault-messages.js';
import type { Logger } from './logger.js';
import type { PeerFaults } from './peer-faults.js';

/** Starts listening; returns a function that stops. A no-op without an IPC channel. */
export function listenForFaults(faults: PeerFaults, log: Logger): () => void {
  const send = process.send?.bind(process);
  if (!send) return () => {};
  const reply = (ack: FaultsAck) => {
    // The supervisor may be gone; the node carries on regardless.
    if (process.connected) send(ack, undefined, {}, () => {});
  };
  const onMessage = (raw: unknown) => {
    let seq = -1;
    try {
      const msg = parseFaultsSet(raw);
      seq = msg.seq;
      const before = JSON.stringify(faults.settings());
      faults.set(msg.settings);
      const after = faults.settings();
      if (JSON.stringify(after) !== before) log.info(`faults set by the supervisor: ${describeFaults(after)}`);
      reply({ type: 'faults-ack', seq, ok: true });
    } catch (err) {
      log.warn(`ignored a fault command from the supervisor: ${(err as Error).message}`);
      reply({ type: 'faults-ack', seq, ok: false, error: (err as Error).message });
    }
  };
  process.on('message', onMessage);
  // The channel must not keep a stopped node alive.
  process.channel?.unref();
  if (process.connected) send({ type: 'faults-ready' }, undefined, {}, () => {});
  return () => {
    process.off('message', onMessage);
  };
}

/** "drop to 2,3; drop from 2,3; delay 100 ms", or "none". */
export function describeFaults(s: { dropTo: number[]; dropFrom: number[]; delayMs: number }): string {
  const parts: string[] = [];
  if (s.dropTo.length) parts.push(`drop to ${s.dropTo.join(',')}`);
  if (s.dropFrom.length) parts.push(`drop from ${s.dropFrom.join(',')}`);
  if (s.delayMs) parts.push(`delay ${s.delayMs} ms`);
  return parts.length ? parts.join('; ') : 'none (healed)';
}
