import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readPasswordFile } from '../../src/node/password-file.js';

t.test('the password file: 0600, one trailing newline dropped, never echoed in errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-pw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'password');
  writeFileSync(file, 'hunter2\n', { mode: 0o600 });
  t.equal(readPasswordFile(file), 'hunter2');
  chmodSync(file, 0o644);
  t.throws(() => readPasswordFile(file), { code: 'BAD_CONFIG', message: /readable by others \(mode 644\); run chmod 600 on it$/ });
  try {
    readPasswordFile(file);
  } catch (err) {
    t.notOk((err as Error).message.includes('hunter2'), 'the error does not show the password');
  }
  writeFileSync(join(dir, 'empty'), '\n', { mode: 0o600 });
  t.throws(() => readPasswordFile(join(dir, 'empty')), { message: /empty$/ });
  t.throws(() => readPasswordFile(join(dir, 'missing')), { message: /cannot read: ENOENT$/ });
});
