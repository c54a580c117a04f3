/**
 * The tail of a node's log file (`logs/node-<id>.log`) for the detail pane: the last few KB,
 * read only when the file's size or mtime changed since the last look. One stat per poll and an
 * occasional small read; no fs.watch (which fires per write and differs per platform).
 */
import { open, stat } from 'node:fs/promises';

/** Bytes read from the end of the file: plenty for a screenful of lines. */
export const TAIL_BYTES = 8192;
/** Lines kept; the pane shows fewer. */
export const TAIL_LINES = 60;

// ANSI escape sequences and other control characters would move the cursor or recolour the screen.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[@-_]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Printable lines of a chunk of a log; `partialStart` drops the first line (cut mid-line). */
export function tailLines(text: string, partialStart: boolean, maxLines = TAIL_LINES): string[] {
  const lines = text.split('\n');
  if (partialStart) lines.shift();
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-maxLines).map((l) => l.replace(/\r$/, '').replace(ANSI, '').replace(/\t/g, '  ').replace(CONTROL, ''));
}

/** The last lines of `path`; an empty list if it does not exist (a node that never started). */
export async function readTail(path: string, maxBytes = TAIL_BYTES, maxLines = TAIL_LINES): Promise<string[]> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return tailLines(buffer.subarray(0, bytesRead).toString('utf8'), start > 0, maxLines);
  } finally {
    await handle.close();
  }
}

/** Follows one file: `poll()` gives its new tail, or undefined when it has not changed. */
export class LogTailer {
  #lastKey: string | undefined;

  constructor(readonly path: string) {}

  async poll(): Promise<string[] | undefined> {
    let key: string;
    try {
      const s = await stat(this.path);
      key = `${s.size}/${s.mtimeMs}/${s.ino}`;
    } catch {
      key = 'missing';
    }
    if (key === this.#lastKey) return undefined;
    this.#lastKey = key;
    return key === 'missing' ? [] : readTail(this.path);
  }
}

/**
 * The tails of every node's log file, as the snapshot holds them (`logTails`): `poll()` resolves
 * with a new record when some file changed, undefined otherwise. One poll at a time.
 */
export class LogTails {
  readonly #tailers: Map<number, LogTailer>;
  #current: Readonly<Record<number, readonly string[]>> = {};
  #busy = false;

  constructor(files: ReadonlyMap<number, string>) {
    this.#tailers = new Map([...files].map(([id, path]) => [id, new LogTailer(path)]));
  }

  /** Follows these files from now on (members come and go): new ones are read, gone ones dropped. */
  setFiles(files: ReadonlyMap<number, string>): void {
    for (const id of [...this.#tailers.keys()]) if (!files.has(id)) this.#tailers.delete(id);
    for (const [id, path] of files) if (this.#tailers.get(id)?.path !== path) this.#tailers.set(id, new LogTailer(path));
    const kept = Object.entries(this.#current).filter(([id]) => files.has(Number(id)));
    if (kept.length !== Object.keys(this.#current).length) this.#current = Object.fromEntries(kept);
  }

  async poll(): Promise<Readonly<Record<number, readonly string[]>> | undefined> {
    if (this.#busy) return undefined;
    this.#busy = true;
    try {
      let next: Record<number, readonly string[]> | undefined;
      for (const [id, tailer] of this.#tailers) {
        const lines = await tailer.poll().catch(() => undefined);
        if (lines === undefined) continue;
        next ??= { ...this.#current };
        next[id] = lines;
      }
      if (next !== undefined) this.#current = next;
      return next;
    } finally {
      this.#busy = false;
    }
  }
}
