/**
 * WAL record framing: how one record is laid out on disk, and how a segment's bytes are scanned
 * back into records. Pure functions over Buffers; no I/O.
 *
 * Layout of one record (all integers little-endian):
 *
 *   offset 0  uint32  payload length in bytes (L)
 *   offset 4  uint32  CRC32 (zlib.crc32) of the payload bytes
 *   offset 8  L bytes payload: UTF-8 JSON of a WalRecord
 *
 * Why the scanner can tell a torn tail from mid-log corruption: a crash can only damage the end of
 * the last write, so a bad record with nothing valid after it is a torn tail (safe to cut off:
 * that write was never acknowledged), while a bad record followed by a valid one means bytes that
 * were once durable have changed — the node must stop rather than silently lose acknowledged data.
 * A false "valid record" inside damaged bytes would need a matching CRC32 plus a well-formed
 * payload; and a header cannot lie wholly inside a JSON payload, because JSON text never holds a
 * raw 0x00 byte (JSON.stringify escapes control characters) while every length below 16 MiB does.
 */
import { crc32 } from 'node:zlib';
import { stringifyWithEntries } from '../../protocol/entries-json.js';
import type { Entry } from '../../protocol/raft-messages.js';

export const RECORD_HEADER_BYTES = 8;

/**
 * Largest payload we write or believe when reading. A length above it is damage, not data; the
 * bound also keeps a flipped length bit from making the scanner checksum gigabytes.
 */
export const MAX_RECORD_PAYLOAD_BYTES = 128 * 1024 * 1024;

/** Term, vote and commit; the last one in the log wins. */
export interface HardStateRecord {
  type: 'hardState';
  term: number;
  vote: number;
  commit: number;
}

/**
 * Consecutive entries. If entries[0].index is at or below the last stored index, every stored
 * entry from that index on is replaced (a follower's log being corrected, §5.3).
 */
export interface EntriesRecord {
  type: 'entries';
  entries: Entry[];
}

/** Everything at or below `index` is covered by a snapshot file and may be dropped. */
export interface SnapshotRecord {
  type: 'snapshot';
  index: number;
  term: number;
}

/**
 * The first record of every segment after the first: the log's last index and term when the
 * segment began. Once older segments are dropped (their entries are all in a snapshot), recovery
 * starts from the oldest segment left, and this tells it where that segment's log continues.
 * Replay ignores it unless nothing came before it.
 */
export interface SegmentStartRecord {
  type: 'segmentStart';
  prevIndex: number;
  prevTerm: number;
}

export type WalRecord = HardStateRecord | EntriesRecord | SnapshotRecord | SegmentStartRecord;

/** The JSON text stored as a record's payload. */
export function serializeRecord(record: WalRecord): string {
  // Entries usually were just serialised for the followers too (entries-json.ts).
  return record.type === 'entries' ? stringifyWithEntries(record) : JSON.stringify(record);
}

/**
 * Frames already-serialized payloads into one Buffer (one allocation, no per-record buffers), so a
 * whole group-commit batch goes to disk in one write.
 */
export function framePayloads(payloads: readonly string[]): Buffer {
  let total = 0;
  const lengths = new Array<number>(payloads.length);
  for (let i = 0; i < payloads.length; i++) {
    const n = Buffer.byteLength(payloads[i]!, 'utf8');
    if (n > MAX_RECORD_PAYLOAD_BYTES) {
      throw new RangeError(`wal: record of ${n} bytes exceeds the ${MAX_RECORD_PAYLOAD_BYTES}-byte limit`);
    }
    lengths[i] = n;
    total += RECORD_HEADER_BYTES + n;
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < payloads.length; i++) {
    const n = lengths[i]!;
    const start = pos + RECORD_HEADER_BYTES;
    buf.write(payloads[i]!, start, n, 'utf8');
    buf.writeUInt32LE(n, pos);
    buf.writeUInt32LE(crc32(buf.subarray(start, start + n)), pos + 4);
    pos = start + n;
  }
  return buf;
}

/** Encodes records into one framed Buffer. */
export function encodeRecords(records: readonly WalRecord[]): Buffer {
  return framePayloads(records.map(serializeRecord));
}

/** Outcome of decoding the record that starts at one offset. */
type DecodeAt =
  | { ok: true; record: WalRecord; size: number }
  | { ok: false; reason: string };

/** Decodes the record at `pos`, checking framing, checksum, JSON and shape. Never throws. */
function decodeAt(buf: Buffer, pos: number): DecodeAt {
  const avail = buf.length - pos;
  if (avail < RECORD_HEADER_BYTES) {
    return { ok: false, reason: `truncated header (${avail} of ${RECORD_HEADER_BYTES} bytes)` };
  }
  const len = buf.readUInt32LE(pos);
  if (len > MAX_RECORD_PAYLOAD_BYTES) return { ok: false, reason: `implausible payload length ${len}` };
  if (avail - RECORD_HEADER_BYTES < len) {
    return { ok: false, reason: `truncated payload (${avail - RECORD_HEADER_BYTES} of ${len} bytes)` };
  }
  const start = pos + RECORD_HEADER_BYTES;
  const payload = buf.subarray(start, start + len);
  if (crc32(payload) !== buf.readUInt32LE(pos + 4)) return { ok: false, reason: 'checksum mismatch' };
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'payload is not valid JSON' };
  }
  const shapeError = checkRecordShape(value);
  if (shapeError !== null) return { ok: false, reason: shapeError };
  return { ok: true, record: value as WalRecord, size: RECORD_HEADER_BYTES + len };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Returns why `v` is not a well-formed WalRecord, or null if it is. */
export function checkRecordShape(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'payload is not an object';
  const r = v as Record<string, unknown>;
  switch (r.type) {
    case 'hardState':
      return isCount(r.term) && isCount(r.vote) && isCount(r.commit) ? null : 'malformed hardState record';
    case 'snapshot':
      return isCount(r.index) && isCount(r.term) ? null : 'malformed snapshot record';
    case 'segmentStart':
      return isCount(r.prevIndex) && isCount(r.prevTerm) ? null : 'malformed segmentStart record';
    case 'entries': {
      const es = r.entries;
      if (!Array.isArray(es) || es.length === 0) return 'malformed entries record';
      for (let i = 0; i < es.length; i++) {
        const e = es[i] as Record<string, unknown> | null;
        if (typeof e !== 'object' || e === null || !isCount(e.term) || !isCount(e.index) || e.index < 1) {
          return `malformed entry at position ${i}`;
        }
        if (e.kind !== 'cmd' && e.kind !== 'noop' && e.kind !== 'config') return `entry ${e.index} has unknown kind`;
        if (i > 0 && e.index !== (es[i - 1] as Entry).index + 1) return `entry indices not consecutive at ${e.index}`;
      }
      return null;
    }
    default:
      return 'unknown record type';
  }
}

/** How a scan ended. Offsets are byte offsets into the scanned buffer. */
export type ScanEnd =
  /** Every byte belonged to a valid record. */
  | { kind: 'clean' }
  /** The bytes from `offset` on hold no valid record: an interrupted write, safe to cut off. */
  | { kind: 'torn'; offset: number; reason: string }
  /** The record at `offset` is bad but a valid one starts at `nextValidOffset`: real damage. */
  | { kind: 'corrupt'; offset: number; reason: string; nextValidOffset: number };

export interface ScanResult {
  /** Bytes from the start that hold valid records (where a torn tail would be cut). */
  validBytes: number;
  /** How many valid records were delivered to the callback. */
  records: number;
  end: ScanEnd;
}

/**
 * Scans `buf` from the start, calling `onRecord` for each valid record in order (it may throw to
 * abort, e.g. on a semantic error). At the first bad record, searches forward byte by byte for any
 * valid record to decide between a torn tail and mid-log corruption.
 */
export function scanRecords(buf: Buffer, onRecord: (record: WalRecord, offset: number) => void): ScanResult {
  let pos = 0;
  let records = 0;
  while (pos < buf.length) {
    const d = decodeAt(buf, pos);
    if (!d.ok) {
      for (let p = pos + 1; p + RECORD_HEADER_BYTES <= buf.length; p++) {
        if (decodeAt(buf, p).ok) {
          return { validBytes: pos, records, end: { kind: 'corrupt', offset: pos, reason: d.reason, nextValidOffset: p } };
        }
      }
      return { validBytes: pos, records, end: { kind: 'torn', offset: pos, reason: d.reason } };
    }
    onRecord(d.record, pos);
    records++;
    pos += d.size;
  }
  return { validBytes: pos, records, end: { kind: 'clean' } };
}
