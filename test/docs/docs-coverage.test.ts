/**
 * docs/ against the code: every error code, cluster.json field, Redis command, JSON op and peer
 * message type the code knows must appear (in backticks) on its page, so an addition without
 * docs fails here. The lists come from the code itself, not from a copy.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODE_INFO } from '../../src/protocol/errors.js';
import { ELECTION_FIELDS, NODE_FIELDS, TOP_LEVEL_FIELDS } from '../../src/protocol/cluster-config.js';
import { REDIS_COMMAND_NAMES } from '../../src/protocol/redis-commands.js';
import { CLIENT_OPS } from '../../src/protocol/client-requests.js';
import { MESSAGE_TYPES } from '../../src/protocol/raft-messages.js';

/** dist/test/docs -> the repository's docs/ (docs are not compiled). */
const page = (name: string): string => readFileSync(fileURLToPath(new URL(`../../../docs/${name}`, import.meta.url)), 'utf8');

/** Whether `word` appears in backticks, alone or as the first word of a code span (`GET key`). */
function mentioned(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp('`' + escaped + '(`|[ \\[])').test(text);
}

const CHECKS: Array<[string, string, readonly string[]]> = [
  ['client-protocol.md', 'error code', Object.keys(ERROR_CODE_INFO)],
  ['client-protocol.md', 'Redis command', REDIS_COMMAND_NAMES.map((n) => n.toUpperCase())],
  ['client-protocol.md', 'JSON op', CLIENT_OPS],
  ['cluster-json.md', 'cluster.json field', [...TOP_LEVEL_FIELDS, ...NODE_FIELDS]],
  ['cluster-json.md', 'electionTimeoutMs field', ELECTION_FIELDS.map((f) => `electionTimeoutMs.${f}`)],
  ['peer-protocol.md', 'peer message type', MESSAGE_TYPES],
];

for (const [file, what, names] of CHECKS) {
  t.test(`every ${what} is in docs/${file}`, async (t) => {
    const text = page(file);
    t.ok(names.length > 0, `the code lists some ${what}s`);
    const missing = names.filter((n) => !mentioned(text, n));
    t.same(missing, [], `undocumented ${what}s: add them to docs/${file}`);
  });
}

t.test('the checker catches a missing name', async (t) => {
  t.notOk(mentioned('`GET key` and `SETNX`', 'SET'), 'SET is not SETNX');
  t.ok(mentioned('`GET key`', 'GET'));
  t.ok(mentioned('| `readMode` |', 'readMode'));
});

t.test('the README links every page and points nowhere outside the repository', async (t) => {
  const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  for (const name of ['client-protocol.md', 'peer-protocol.md', 'cluster-json.md', 'architecture.md', 'operations.md']) {
    t.match(readme, `docs/${name}`, `README links docs/${name}`);
    t.match(page('README.md'), `(${name})`, `docs/README.md links ${name}`);
  }
  t.notMatch(readme, /\.\.\/shared|outside this repository/, 'no pointer outside the repository');
});
