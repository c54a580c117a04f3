import t from 'tap';
import { StorageError, WalCorruptionError, type StorageErrorCode } from '../../../src/node/storage/storage-errors.js';

t.test('every storage error has a stable code and is an Error', async (t) => {
  const cases: [StorageError, StorageErrorCode, string][] = [
    [new WalCorruptionError('/d/wal-00000001.log', 42, 'checksum mismatch'), 'WAL_CORRUPT', 'WalCorruptionError'],
    [new StorageError('WAL_INVALID_APPEND', 'x'), 'WAL_INVALID_APPEND', 'StorageError'],
    [new StorageError('WAL_CLOSED', 'x'), 'WAL_CLOSED', 'StorageError'],
    [new StorageError('WAL_FAILED', 'x', { cause: new Error('EIO') }), 'WAL_FAILED', 'StorageError'],
  ];
  for (const [err, code, name] of cases) {
    t.ok(err instanceof Error);
    t.ok(err instanceof StorageError);
    t.equal(err.code, code);
    t.equal(err.name, name);
  }
});

t.test('WalCorruptionError names the file and the offset', async (t) => {
  const e = new WalCorruptionError('/d/wal-00000001.log', 42, 'checksum mismatch');
  t.equal(e.message, 'wal: corrupt record in /d/wal-00000001.log at offset 42: checksum mismatch');
  t.equal(e.file, '/d/wal-00000001.log');
  t.equal(e.offset, 42);
});
