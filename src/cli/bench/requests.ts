/**
 * The bench's requests, pre-encoded as RESP2 multibulks (what redis-benchmark sends). The bytes
 * of each command are built once per test; only the 12 key digits change per request, and only
 * when a key space was asked for (-r). With one fixed key the same Buffer is written again and
 * again (sockets never modify what they are given).
 *
 * Commands: SET key value, GET key, CAS key value value (swaps a key that already holds the bench
 * value, e.g. after the set test; a key that does not is answered :0, still one Raft write).
 */
import { encodeCommand } from '../../protocol/resp.js';
import { KEY_DIGITS, type TestName } from './options.js';

const FIXED_KEY = 'key:__rand_int__'; // redis-benchmark's key when -r is not given

/** One command's bytes with the position of its key digits (-1: fixed key, nothing to patch). */
interface Template {
  bytes: Buffer;
  digitsAt: number;
}

function template(argv: string[], randomKeys: boolean): Template {
  const bytes = encodeCommand(argv);
  return { bytes, digitsAt: randomKeys ? bytes.indexOf('key:') + 4 : -1 };
}

export interface RequestSource {
  /**
   * Encodes `count` requests (>= 1) into one Buffer ready to write. A fresh Buffer when keys vary;
   * with a fixed key, a shared read-only one.
   */
  next(count: number): Buffer;
}

/** Writes `n` as KEY_DIGITS zero-padded decimal digits at `at`. */
function writeDigits(buf: Buffer, at: number, n: number): void {
  for (let k = at + KEY_DIGITS - 1; k >= at; k--) {
    buf[k] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
}

export interface RequestShape {
  test: TestName;
  dataSizeBytes: number;
  /** null: one fixed key. */
  keyspace: number | null;
  /** Mixed test: fraction of GETs. */
  readRatio: number;
  /** Most requests asked for in one next() call (the pipeline depth). */
  maxBatch: number;
  /** Uniform [0, 1); Math.random unless a test passes a seeded one. */
  random?: () => number;
}

export function requestSource(shape: RequestShape): RequestSource {
  const random = shape.random ?? Math.random;
  const randomKeys = shape.keyspace !== null;
  const key = randomKeys ? `key:${'0'.repeat(KEY_DIGITS)}` : FIXED_KEY;
  const value = 'x'.repeat(shape.dataSizeBytes);
  const set = template(['SET', key, value], randomKeys);
  const get = template(['GET', key], randomKeys);
  const cas = template(['CAS', key, value, value], randomKeys);

  if (!randomKeys && shape.test !== 'mixed') {
    // One command repeated: pre-build the longest batch and hand out prefixes of it.
    const one = shape.test === 'set' ? set.bytes : shape.test === 'get' ? get.bytes : cas.bytes;
    const batch = Buffer.concat(Array.from({ length: shape.maxBatch }, () => one));
    return { next: (count) => (count === 1 ? one : batch.subarray(0, count * one.length)) };
  }

  const keyspace = shape.keyspace ?? 1;
  const pick = (): Template => {
    switch (shape.test) {
      case 'set':
        return set;
      case 'get':
        return get;
      case 'cas':
        return cas;
      case 'mixed':
        return random() < shape.readRatio ? get : set;
    }
  };
  const picked: Template[] = new Array<Template>(shape.maxBatch);
  return {
    next(count) {
      let bytes = 0;
      for (let k = 0; k < count; k++) {
        const t = pick();
        picked[k] = t;
        bytes += t.bytes.length;
      }
      const out = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (let k = 0; k < count; k++) {
        const t = picked[k]!;
        t.bytes.copy(out, at);
        if (t.digitsAt >= 0) writeDigits(out, at + t.digitsAt, Math.floor(random() * keyspace));
        at += t.bytes.length;
      }
      return out;
    },
  };
}
