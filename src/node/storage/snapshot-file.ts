/**
 * The snapshot file: one node's state machine as of one log index, written once and never
 * changed. NDJSON, so a human can look inside with `head`:
 *
 *   line 1      {"raftkvSnapshot":1,"index":..,"term":..,"config":{..},"createdAt":..,"keys":..,"sm":{..}}
 *   lines 2..   [[key,value],[key,value],...]   (up to PAIRS_PER_LINE pairs a line)
 *   last line   {"end":{"bytes":B,"crc32":C}}   B = bytes before this line, C = their CRC32
 *
 * The trailer makes a partial or damaged file detectable: a file is valid only if its last line
 * is a trailer whose size and checksum match everything before it, and the header agrees with the
 * number of keys found. Writers go through a temp file, fsync, rename and a directory fsync
 * (snapshot-store.ts), so a crash leaves either the old set of files or the new one.
 *
 * Reading and writing yield to the event loop every few hundred KiB: a node keeps serving
 * clients and heartbeats while it handles a snapshot of a million keys.
 */
import { crc32 } from 'node:zlib';
import { realSnapshotFs, type SnapshotFs } from './snapshot-fs.js';
import type { KvSnapshotMeta } from '../kv-state-machine.js';
import { membershipError } from '../../protocol/membership-validate.js';
import type { MemberAddress } from '../../protocol/raft-messages.js';

/**
 * The membership as of the snapshot's index (src/protocol/raft-messages.ts Membership).
 * `addresses` is absent in files written before membership changes: cluster.json supplies them.
 */
export interface SnapshotConfig {
  voters: number[];
  learners: number[];
  addresses?: Record<string, MemberAddress>;
}

export interface SnapshotHeader {
  raftkvSnapshot: 1;
  /** Last log index the snapshot covers, and that entry's term. */
  index: number;
  term: number;
  config: SnapshotConfig;
  /** When the file was written (ms since the epoch; for INFO, not for any decision). */
  createdAt: number;
  keys: number;
  /** The state machine minus its key space (sessions, clocks). */
  sm: KvSnapshotMeta;
}

export interface SnapshotContents {
  header: SnapshotHeader;
  pairs: Array<[string, string]>;
}

/** Why a snapshot file cannot be used. */
export class SnapshotFileError extends Error {
  readonly code = 'BAD_SNAPSHOT_FILE';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`snapshot ${file}: ${reason}`);
    this.name = 'SnapshotFileError';
  }
}

const PAIRS_PER_LINE = 1000;
/** Bytes of output (or input) between two yields to the event loop. */
const YIELD_BYTES = 256 * 1024;

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes `header` + `pairs` to `path` (which must not exist) and fsyncs it. Returns the file size.
 * The caller renames it into place (snapshot-store.ts).
 */
export async function writeSnapshotFile(path: string, header: SnapshotHeader, pairs: ReadonlyArray<readonly [string, string]>, files: SnapshotFs = realSnapshotFs): Promise<number> {
  const fh = await files.create(path);
  let crc = 0;
  let bytes = 0;
  let pending: string[] = [];
  let pendingLength = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const buf = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingLength = 0;
    crc = crc32(buf, crc);
    bytes += buf.length;
    await fh.write(buf);
  };
  const put = async (line: string) => {
    pending.push(line, '\n');
    pendingLength += line.length + 1;
    if (pendingLength >= YIELD_BYTES) {
      await flush();
      await yieldTurn();
    }
  };
  try {
    await put(JSON.stringify(header));
    for (let i = 0; i < pairs.length; i += PAIRS_PER_LINE) await put(JSON.stringify(pairs.slice(i, i + PAIRS_PER_LINE)));
    await flush();
    const trailer = Buffer.from(`${JSON.stringify({ end: { bytes, crc32: crc } })}\n`, 'utf8');
    await fh.write(trailer);
    await fh.sync();
    return bytes + trailer.length;
  } finally {
    await fh.close();
  }
}

/**
 * Reads and verifies a whole snapshot file. Throws SnapshotFileError naming what is wrong (torn,
 * checksum, malformed header or pairs); I/O errors other than a missing file pass through.
 */
export async function readSnapshotFile(path: string, files: SnapshotFs = realSnapshotFs): Promise<SnapshotContents> {
  const buf = await files.readFile(path);
  const fail = (why: string): never => {
    throw new SnapshotFileError(path, why);
  };
  if (buf.length === 0 || buf[buf.length - 1] !== 0x0a) fail('no complete trailer line (a torn write?)');
  const trailerStart = buf.lastIndexOf(0x0a, buf.length - 2) + 1;
  let trailer: unknown;
  try {
    trailer = JSON.parse(buf.subarray(trailerStart, buf.length - 1).toString('utf8'));
  } catch {
    fail('the last line is not a trailer (a torn write?)');
  }
  const end = (trailer as { end?: { bytes?: unknown; crc32?: unknown } } | null)?.end;
  if (!end || end.bytes !== trailerStart || typeof end.crc32 !== 'number') fail(`trailer does not match the file (${trailerStart} bytes before it)`);
  if (crc32(buf.subarray(0, trailerStart)) !== end!.crc32) fail('checksum mismatch');

  let pos = 0;
  const nextLine = (): string | null => {
    if (pos >= trailerStart) return null;
    const nl = buf.indexOf(0x0a, pos);
    const line = buf.subarray(pos, nl).toString('utf8');
    pos = nl + 1;
    return line;
  };
  const headerLine = nextLine();
  let header: SnapshotHeader;
  try {
    header = JSON.parse(headerLine ?? '') as SnapshotHeader;
  } catch {
    return fail('the header is not JSON');
  }
  const why = checkHeader(header);
  if (why) fail(`bad header: ${why}`);
  const pairs: Array<[string, string]> = [];
  let sinceYield = 0;
  for (let line = nextLine(); line !== null; line = nextLine()) {
    let chunk: unknown;
    try {
      chunk = JSON.parse(line);
    } catch {
      return fail(`line at byte ${pos} is not JSON`);
    }
    if (!Array.isArray(chunk)) fail('a data line is not an array of pairs');
    for (const p of chunk as unknown[]) {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string') fail('a data line holds something other than [key, value] string pairs');
      pairs.push(p as [string, string]);
    }
    sinceYield += line.length;
    if (sinceYield >= YIELD_BYTES) {
      sinceYield = 0;
      await yieldTurn();
    }
  }
  if (pairs.length !== header.keys) fail(`header says ${header.keys} keys, the file holds ${pairs.length}`);
  return { header, pairs };
}

const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function checkHeader(h: unknown): string | null {
  if (typeof h !== 'object' || h === null) return 'not an object';
  const r = h as Record<string, unknown>;
  if (r.raftkvSnapshot !== 1) return `unknown format ${JSON.stringify(r.raftkvSnapshot)}`;
  if (!isNat(r.index) || !isNat(r.term) || !isNat(r.keys) || !isNat(r.createdAt)) return 'index, term, keys and createdAt must be non-negative integers';
  const c = r.config as Record<string, unknown> | null;
  if (typeof c !== 'object' || c === null || !Array.isArray(c.voters) || !Array.isArray(c.learners) || ![...c.voters, ...c.learners].every(isNat)) {
    return 'config must hold voters and learners (arrays of node ids)';
  }
  if (c.addresses !== undefined) {
    const why = membershipError(c);
    if (why) return `config: ${why}`;
  }
  if (typeof r.sm !== 'object' || r.sm === null) return 'sm must be an object';
  if ((r.sm as Record<string, unknown>).lastApplied !== r.index) return 'the state machine was not taken at the snapshot index';
  return null;
}
