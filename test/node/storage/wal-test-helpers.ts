/**
 * Shared helpers for the WAL tests: temp directories that the test removes, entry builders and a
 * seeded PRNG (the seed is printed so a failure can be replayed).
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Entry } from '../../../src/protocol/raft-messages.js';

/** The tap Test surface these helpers need (avoids importing tap's types here). */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A fresh directory under os.tmpdir(), removed when the test ends. */
export async function tempDir(t: Teardown): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'raftkv-wal-'));
  t.teardown(() => fsp.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Consecutive `cmd` entries [from, from + n) of `term`, with multi-byte UTF-8 in the data. */
export function entries(from: number, n: number, term: number, tag = 'v'): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ term, index: from + i, kind: 'cmd', data: { op: 'set', key: `k${from + i}`, value: `${tag}-é€😀-${from + i}` } });
  }
  return out;
}

export function garbage(n: number, random: () => number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256);
  return b;
}
