import t from 'tap';
import {
  activeScopes,
  bindingsFor,
  KEY_BINDINGS,
  resolveKey,
  resolveKeys,
  specMatches,
  type KeyContext,
  type KeyFlags,
  type KeyScope,
  type KeySpec,
} from '../../src/tui/keys.js';

const TABLE: KeyContext = { focus: 'table', helpOpen: false };
const SHELL: KeyContext = { focus: 'shell', helpOpen: false };
const HELP: KeyContext = { focus: 'table', helpOpen: true };

t.test('table keys', async (t) => {
  const CASES: Array<[string, KeyFlags, string, number?]> = [
    ['', { upArrow: true }, 'select-prev'],
    ['', { downArrow: true }, 'select-next'],
    ['3', {}, 'select-number', 3],
    ['k', {}, 'kill-selected'],
    ['K', {}, 'kill-leader'],
    ['r', {}, 'restart-selected'],
    ['s', {}, 'stop-selected'],
    ['?', {}, 'toggle-help'],
    ['q', {}, 'quit'],
    ['', { tab: true }, 'toggle-focus'],
    ['c', { ctrl: true }, 'quit'],
  ];
  for (const [input, key, action, digit] of CASES) {
    const cmd = resolveKey(input, key, TABLE);
    t.equal(cmd?.action, action, `${JSON.stringify(input)} ${JSON.stringify(key)}`);
    if (digit !== undefined) t.equal(cmd?.digit, digit);
  }
  t.equal(resolveKey('0', {}, TABLE), undefined, '0 selects nothing');
  t.equal(resolveKey('z', {}, TABLE), undefined);
  t.equal(resolveKey('kkk', {}, TABLE), undefined, 'a paste is not a kill');
  t.equal(resolveKey('k', { ctrl: true }, TABLE), undefined, 'Ctrl-K is not k');
});

t.test('shell keys: letters are text, not actions', async (t) => {
  t.same(resolveKey('k', {}, SHELL), { action: 'shell-type', text: 'k' });
  t.same(resolveKey('q', {}, SHELL), { action: 'shell-type', text: 'q' });
  t.same(resolveKey('SET x "1"', {}, SHELL), { action: 'shell-type', text: 'SET x "1"' }, 'paste');
  t.equal(resolveKey('', { return: true }, SHELL)?.action, 'shell-submit');
  t.equal(resolveKey('\n', {}, SHELL)?.action, 'shell-submit', 'Ctrl-J / LF submits too');
  t.equal(resolveKey('', { upArrow: true }, SHELL)?.action, 'shell-history-prev');
  t.equal(resolveKey('', { downArrow: true }, SHELL)?.action, 'shell-history-next');
  t.equal(resolveKey('', { backspace: true }, SHELL)?.action, 'shell-backspace');
  t.equal(resolveKey('', { delete: true }, SHELL)?.action, 'shell-backspace', 'most terminals send DEL for Backspace');
  t.equal(resolveKey('u', { ctrl: true }, SHELL)?.action, 'shell-clear-line');
  t.equal(resolveKey('l', { ctrl: true }, SHELL)?.action, 'shell-clear-screen');
  t.equal(resolveKey('', { escape: true, meta: true }, SHELL)?.action, 'focus-table');
  t.equal(resolveKey('', { tab: true }, SHELL)?.action, 'toggle-focus');
  t.equal(resolveKey('c', { ctrl: true }, SHELL)?.action, 'quit');
  t.equal(resolveKey('\u0007', {}, SHELL), undefined, 'control characters are not typed');
  t.equal(resolveKey('x', { meta: true }, SHELL), undefined, 'Alt-x is not typed');
});

t.test('help is modal: any key closes it, Ctrl-C still quits', async (t) => {
  t.equal(resolveKey('k', {}, HELP)?.action, 'close-help');
  t.equal(resolveKey('', { tab: true }, HELP)?.action, 'close-help');
  t.equal(resolveKey('q', {}, HELP)?.action, 'close-help');
  t.equal(resolveKey('c', { ctrl: true }, HELP)?.action, 'quit');
  t.same(activeScopes(HELP), ['help']);
});

// The invariant that makes one table serve both the input handler and the help overlay.
t.test('no two bindings active together share a key', async (t) => {
  const probes: Array<[string, KeyFlags]> = [
    ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789?!*\n'.split('').map((c): [string, KeyFlags] => [c, {}]),
    ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c): [string, KeyFlags] => [c, { ctrl: true }]),
    ...(['upArrow', 'downArrow', 'tab', 'return', 'escape', 'backspace', 'delete'] as const).map((k): [string, KeyFlags] => ['', { [k]: true }]),
  ];
  const scopeSets: KeyScope[][] = [['global', 'table'], ['global', 'shell'], ['help']];
  for (const scopes of scopeSets) {
    const bindings = KEY_BINDINGS.filter((b) => scopes.includes(b.scope));
    for (const [input, key] of probes) {
      // Catch-all specs ('text', 'any') are fallbacks by design; only exact specs may not collide.
      const exact = (s: KeySpec) => s.kind !== 'text' && s.kind !== 'any';
      const hits = bindings.filter((b) => b.keys.some((s) => exact(s) && specMatches(s, input, key)));
      t.ok(hits.length <= 1, `${scopes.join('+')} ${JSON.stringify(input)} ${JSON.stringify(key)}: ${hits.map((h) => h.action).join(', ')}`);
    }
  }
});

t.test('every binding has a label and a description for the help overlay', async (t) => {
  for (const b of KEY_BINDINGS) {
    t.ok(b.label.length > 0 && b.description.length > 0, b.action);
    t.ok(b.keys.length > 0, b.action);
  }
  t.ok(bindingsFor('table').length >= 8);
  t.ok(bindingsFor('shell').length >= 6);
});

t.test('a chunk of typed-ahead or pasted input in the shell is text and Enters, in order', async (t) => {
  t.same(resolveKeys('GET x\rKEYS *\r', {}, SHELL), [
    { action: 'shell-type', text: 'GET x' },
    { action: 'shell-submit' },
    { action: 'shell-type', text: 'KEYS *' },
    { action: 'shell-submit' },
  ]);
  t.same(resolveKeys('SET a\t1\r\nPING\n', {}, SHELL), [
    { action: 'shell-type', text: 'SET a 1' },
    { action: 'shell-submit' },
    { action: 'shell-type', text: 'PING' },
    { action: 'shell-submit' },
  ]);
  t.same(resolveKeys('a\u0000\u0007b', {}, SHELL), [{ action: 'shell-type', text: 'ab' }], 'control characters dropped');
  t.same(resolveKeys('\r', { return: true }, SHELL), [{ action: 'shell-submit' }]);
  t.same(resolveKeys('k\r', {}, TABLE), [], 'in the table a chunk is not a key');
  t.same(resolveKeys('k', {}, TABLE), [{ action: 'kill-selected' }]);
  t.same(resolveKeys('ab\r', {}, HELP), [{ action: 'close-help' }], 'help: one close, nothing typed');
  t.same(resolveKeys('z', {}, { focus: 'table', helpOpen: false }), []);
});
