/**
 * Errors raised by the durable storage layer. Every one carries a stable UPPER_SNAKE `code` that
 * the node process can switch on (and tests can assert) without parsing messages.
 *
 * Defined here rather than on the protocol's RaftKvError because none of these ever reaches a
 * client: each one means this node must stop (or, for WAL_INVALID_APPEND, that the caller has a bug).
 */

export type StorageErrorCode =
  /** A record in the middle of the log is damaged; the node refuses to start (never guesses). */
  | 'WAL_CORRUPT'
  /** append() broke the log's shape (gap, non-consecutive indices, rewrite below a snapshot). */
  | 'WAL_INVALID_APPEND'
  /** append() after close() began. */
  | 'WAL_CLOSED'
  /**
   * A write or fsync failed earlier. After a failed fsync the kernel may have dropped the dirty
   * pages, so retrying could report success for data that is not on disk: the WAL stays failed.
   */
  | 'WAL_FAILED';

export class StorageError extends Error {
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Mid-log corruption: names the file and the byte offset of the first damaged record. */
export class WalCorruptionError extends StorageError {
  readonly file: string;
  readonly offset: number;

  constructor(file: string, offset: number, reason: string) {
    super('WAL_CORRUPT', `wal: corrupt record in ${file} at offset ${offset}: ${reason}`);
    this.file = file;
    this.offset = offset;
  }
}
