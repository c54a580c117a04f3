/**
 * The messages on the IPC channel between the supervisor and a node process it started (Node's
 * child-process channel, fd 3): the fault settings of peer-faults.ts. Only the parent process can
 * write to that channel, which is what makes it the one place faults can be ordered from.
 *
 * node -> supervisor: `{type: 'faults-ready'}` once it listens (the supervisor then sends the
 *   node's current settings, so a restarted node keeps its partition), and one
 *   `{type: 'faults-ack', seq, ok, error?}` per `faults-set`.
 * supervisor -> node: `{type: 'faults-set', seq, settings: {dropTo, dropFrom, delayMs}}`.
 */
import { RaftKvError } from './errors.js';

export interface FaultSettingsWire {
  dropTo: number[];
  dropFrom: number[];
  delayMs: number;
}

export type FaultsSet = { type: 'faults-set'; seq: number; settings: FaultSettingsWire };
export type FaultsReady = { type: 'faults-ready' };
export type FaultsAck = { type: 'faults-ack'; seq: number; ok: boolean; error?: string };

function ids(x: unknown, field: string): number[] {
  if (!Array.isArray(x) || x.length > 1000 || !x.every((v) => Number.isSafeInteger(v) && v > 0)) {
    throw new RaftKvError('BAD_REQUEST', `faults-set: ${field} must be an array of node ids`);
  }
  return x as number[];
}

/** Validates a message the node got on its IPC channel; throws BAD_REQUEST naming the problem. */
export function parseFaultsSet(raw: unknown): FaultsSet {
  const r = raw as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || r.type !== 'faults-set') throw new RaftKvError('BAD_REQUEST', 'expected a faults-set message');
  if (!Number.isSafeInteger(r.seq)) throw new RaftKvError('BAD_REQUEST', 'faults-set: seq must be an integer');
  const s = r.settings as Record<string, unknown> | null;
  if (typeof s !== 'object' || s === null) throw new RaftKvError('BAD_REQUEST', 'faults-set: settings must be an object');
  if (!Number.isSafeInteger(s.delayMs) || (s.delayMs as number) < 0) throw new RaftKvError('BAD_REQUEST', 'faults-set: delayMs must be a non-negative integer');
  return { type: 'faults-set', seq: r.seq as number, settings: { dropTo: ids(s.dropTo, 'dropTo'), dropFrom: ids(s.dropFrom, 'dropFrom'), delayMs: s.delayMs as number } };
}

/** True for the acknowledgement of a faults-set (anything else from a node is ignored). */
export function isFaultsAck(raw: unknown): raw is FaultsAck {
  const r = raw as Record<string, unknown> | null;
  return typeof r === 'object' && r !== null && r.type === 'faults-ack' && Number.isSafeInteger(r.seq) && typeof r.ok === 'boolean';
}

export function isFaultsReady(raw: unknown): raw is FaultsReady {
  return typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'faults-ready';
}
