import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { escapeControlBytes, fileLogger } from '../../src/node/logger.js';

t.test('control bytes from clients are escaped, so one event stays one printable line', async (t) => {
  t.equal(escapeControlBytes('plain text, é and ✓'), 'plain text, é and ✓');
  t.equal(escapeControlBytes('a\nFAKE INFO line'), 'a\\x0aFAKE INFO line');
  t.equal(escapeControlBytes('\x1b[31mred\x07\x00\x7f\x9b'), '\\x1b[31mred\\x07\\x00\\x7f\\x9b');
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-logger-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'node.log');
  fileLogger(file).warn('client said "\r\n2026-01-01T00:00:00.000Z ERROR forged"');
  const text = readFileSync(file, 'utf8');
  t.equal(text.split('\n').length, 2, 'one line and the final newline');
  t.match(text, /client said "\\x0d\\x0a2026-01-01T00:00:00\.000Z ERROR forged"\n$/);
});
