/**
 * Which nodes a supervisor runs beyond and instead of its cluster file: `<dataDir>/members.json`.
 *
 * The cluster file is only the bootstrap membership (DESIGN.md): members added later (`ctl add`)
 * are not in it, and members removed (`ctl remove`) still are. The replicated log knows the real
 * membership, but the supervisor needs to know which *processes* to start before any node answers,
 * so it keeps its own record: the members it added (with their addresses) and the ids it removed.
 * `raftkv up` on the same data directory then restarts the added ones and not the removed ones.
 *
 * Written atomically (temp file, fsync, rename), so a crash leaves the old or the new record.
 * A damaged file is refused at start with the reason, never silently ignored: ignoring it would
 * resurrect removed members or forget added ones.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NodeAddress } from '../protocol/cluster-config.js';
import { RaftKvError } from '../protocol/errors.js';
import { addressError, isNodeId } from '../protocol/membership-validate.js';

/** A member the supervisor added: where it is reached (its ports came from the OS when added). */
export interface AddedMember {
  id: number;
  host: string;
  port: number;
  peerPort: number;
}

export interface MemberRecord {
  /** Members added by `ctl add` and not removed since, ascending ids. */
  added: AddedMember[];
  /** Ids removed by `ctl remove` (bootstrap or added): never started again, never reused. */
  removed: number[];
}

export const MEMBER_REGISTRY_FILE = 'members.json';

/** Validates the file's content; throws BAD_CONFIG naming the field. */
export function parseMemberRecord(raw: unknown, source: string): MemberRecord {
  const bad = (why: string): RaftKvError => new RaftKvError('BAD_CONFIG', `${source}: ${why}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('must be an object {added, removed}');
  const r = raw as Record<string, unknown>;
  if (!Array.isArray(r.added)) throw bad('added: must be an array');
  if (!Array.isArray(r.removed)) throw bad('removed: must be an array');
  const added = r.added.map((m: unknown, i): AddedMember => {
    const o = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
    if (!isNodeId(o.id)) throw bad(`added[${i}].id: must be a positive integer`);
    const why = addressError(o, `added[${i}].`);
    if (why) throw bad(why);
    return { id: o.id, host: o.host as string, port: o.port as number, peerPort: o.peerPort as number };
  });
  r.removed.forEach((id, i) => {
    if (!isNodeId(id)) throw bad(`removed[${i}]: must be a positive integer`);
  });
  const removed = r.removed as number[];
  const addedIds = new Set(added.map((m) => m.id));
  if (addedIds.size !== added.length) throw bad('added: an id appears twice');
  const both = removed.find((id) => addedIds.has(id));
  if (both !== undefined) throw bad(`node ${both} is both added and removed`);
  return { added: [...added].sort((a, b) => a.id - b.id), removed: [...new Set(removed)].sort((a, b) => a - b) };
}

/** The record of one data directory, kept in step with its file. */
export class MemberRegistry {
  readonly path: string;
  #record: MemberRecord;

  /** Reads `<dataDir>/members.json` (absent = nothing added or removed). */
  constructor(dataDir: string) {
    this.path = join(dataDir, MEMBER_REGISTRY_FILE);
    this.#record = { added: [], removed: [] };
    if (!existsSync(this.path)) return;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (err) {
      throw new RaftKvError('BAD_CONFIG', `${this.path}: cannot read the supervisor's member record: ${(err as Error).message}`);
    }
    this.#record = parseMemberRecord(raw, this.path);
  }

  get record(): MemberRecord {
    return { added: this.#record.added.map((m) => ({ ...m })), removed: [...this.#record.removed] };
  }

  /** The nodes to supervise: the bootstrap ones not removed, then the added ones. */
  nodesToRun(bootstrap: readonly NodeAddress[]): NodeAddress[] {
    const removed = new Set(this.#record.removed);
    const added = this.#record.added.filter((m) => !bootstrap.some((b) => b.id === m.id));
    return [...bootstrap.filter((n) => !removed.has(n.id)), ...added];
  }

  /** Records an added member (durably, before its process starts). */
  add(member: AddedMember): void {
    if (this.#record.removed.includes(member.id)) throw new RaftKvError('BAD_REQUEST', `node ${member.id} was removed; ids are not reused`);
    const added = [...this.#record.added.filter((m) => m.id !== member.id), { ...member }].sort((a, b) => a.id - b.id);
    this.#write({ added, removed: this.#record.removed });
  }

  /** Records a removal: the id is never started again. */
  remove(id: number): void {
    const removed = [...new Set([...this.#record.removed, id])].sort((a, b) => a - b);
    this.#write({ added: this.#record.added.filter((m) => m.id !== id), removed });
  }

  #write(record: MemberRecord): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, `${JSON.stringify(record, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    // The rename is durable only once the folder is.
    const dirFd = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    this.#record = record;
  }
}
