/**
 * Every key raft-tui understands, as data. The input handler resolves keypresses through
 * `resolveKey`, and the help overlay lists `KEY_BINDINGS`: one table, so the help can never
 * disagree with what the keys do.
 *
 * Scopes: `global` keys work in both panes; `help` keys only while the help overlay is open (it is
 * modal: nothing else applies then); `table` and `shell` keys only while that pane has the focus.
 * Invariant (tested): no two bindings that can be active at the same time share a key.
 *
 * A deliberate choice: `k` kills the selected node (htop's habit, and the chaos key), so
 * vim-style `j`/`k` navigation is not offered; ↑/↓ and 1–9 select.
 */

/** The subset of Ink's `Key` we look at; tests can build one without Ink. */
export interface KeyFlags {
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

export type SpecialKey = 'upArrow' | 'downArrow' | 'tab' | 'return' | 'escape' | 'backspace' | 'delete';

/** One way to press a binding. */
export type KeySpec =
  /** Exactly this character, no Ctrl/Meta (case-sensitive: `k` and `K` differ). */
  | { kind: 'char'; char: string }
  /** Ctrl + this lower-case letter. */
  | { kind: 'ctrl'; char: string }
  | { kind: 'special'; name: SpecialKey }
  /** A digit 1–9; the command carries it. */
  | { kind: 'digit' }
  /** Any printable text (typing, or a paste); the command carries it. */
  | { kind: 'text' }
  /** Any key at all. */
  | { kind: 'any' };

export type KeyScope = 'global' | 'help' | 'table' | 'shell';

export type KeyAction =
  | 'quit'
  | 'toggle-focus'
  | 'close-help'
  | 'select-prev'
  | 'select-next'
  | 'select-number'
  | 'kill-selected'
  | 'kill-leader'
  | 'restart-selected'
  | 'stop-selected'
  | 'isolate-selected'
  | 'isolate-leader'
  | 'heal-all'
  | 'add-node'
  | 'remove-selected'
  | 'transfer-to-selected'
  | 'toggle-links'
  | 'toggle-help'
  | 'shell-submit'
  | 'shell-history-prev'
  | 'shell-history-next'
  | 'shell-backspace'
  | 'shell-clear-line'
  | 'shell-clear-screen'
  | 'shell-type'
  | 'focus-table';

export interface KeyBinding {
  action: KeyAction;
  scope: KeyScope;
  keys: readonly KeySpec[];
  /** How the help overlay names the keys, e.g. `↑ / ↓`. */
  label: string;
  /** What it does, in a few words, for the help overlay. */
  description: string;
}

const ch = (char: string): KeySpec => ({ kind: 'char', char });
const special = (name: SpecialKey): KeySpec => ({ kind: 'special', name });
const ctrl = (char: string): KeySpec => ({ kind: 'ctrl', char });

/** In lookup order within a scope: the first matching binding wins. */
export const KEY_BINDINGS: readonly KeyBinding[] = [
  { action: 'quit', scope: 'global', keys: [ctrl('c')], label: 'Ctrl-C', description: 'quit' },
  { action: 'toggle-focus', scope: 'global', keys: [special('tab')], label: 'Tab', description: 'switch table / shell' },
  { action: 'quit', scope: 'help', keys: [ctrl('c')], label: 'Ctrl-C', description: 'quit' },
  { action: 'close-help', scope: 'help', keys: [{ kind: 'any' }], label: 'any key', description: 'close this help' },
  { action: 'select-prev', scope: 'table', keys: [special('upArrow')], label: '↑', description: 'select previous node' },
  { action: 'select-next', scope: 'table', keys: [special('downArrow')], label: '↓', description: 'select next node' },
  { action: 'select-number', scope: 'table', keys: [{ kind: 'digit' }], label: '1-9', description: 'select node by row' },
  { action: 'kill-selected', scope: 'table', keys: [ch('k')], label: 'k', description: 'kill -9 the selected node' },
  { action: 'kill-leader', scope: 'table', keys: [ch('K')], label: 'K', description: 'kill -9 the leader' },
  { action: 'restart-selected', scope: 'table', keys: [ch('r')], label: 'r', description: 'restart selected node' },
  { action: 'stop-selected', scope: 'table', keys: [ch('s')], label: 's', description: 'stop selected node cleanly' },
  { action: 'isolate-selected', scope: 'table', keys: [ch('i')], label: 'i', description: 'isolate selected node' },
  { action: 'isolate-leader', scope: 'table', keys: [ch('I')], label: 'I', description: 'isolate the leader' },
  { action: 'heal-all', scope: 'table', keys: [ch('h')], label: 'h', description: 'heal all cuts and delays' },
  { action: 'add-node', scope: 'table', keys: [ch('a')], label: 'a', description: 'add a node (learner->voter)' },
  { action: 'remove-selected', scope: 'table', keys: [ch('x')], label: 'x', description: 'remove selected from cluster' },
  { action: 'transfer-to-selected', scope: 'table', keys: [ch('t')], label: 't', description: 'make selected the leader' },
  { action: 'toggle-links', scope: 'table', keys: [ch('l')], label: 'l', description: 'links view / raft log' },
  { action: 'toggle-help', scope: 'table', keys: [ch('?')], label: '?', description: 'show / hide this help' },
  { action: 'quit', scope: 'table', keys: [ch('q')], label: 'q', description: 'quit' },
  { action: 'shell-submit', scope: 'shell', keys: [special('return'), ch('\n')], label: 'Enter', description: 'run the command' },
  { action: 'shell-history-prev', scope: 'shell', keys: [special('upArrow')], label: '↑', description: 'previous command' },
  { action: 'shell-history-next', scope: 'shell', keys: [special('downArrow')], label: '↓', description: 'next command' },
  { action: 'shell-backspace', scope: 'shell', keys: [special('backspace'), special('delete')], label: 'Backspace', description: 'delete last character' },
  { action: 'shell-clear-line', scope: 'shell', keys: [ctrl('u')], label: 'Ctrl-U', description: 'clear the line' },
  { action: 'shell-clear-screen', scope: 'shell', keys: [ctrl('l')], label: 'Ctrl-L', description: 'clear shell output' },
  { action: 'focus-table', scope: 'shell', keys: [special('escape')], label: 'Esc', description: 'back to the table' },
  { action: 'shell-type', scope: 'shell', keys: [{ kind: 'text' }], label: 'text', description: 'type a command (see HELP)' },
];

/** What a keypress means: the action, plus the digit or text it carried. */
export interface KeyCommand {
  action: KeyAction;
  /** For `select-number`: 1–9. */
  digit?: number;
  /** For `shell-type`: the printable text typed or pasted. */
  text?: string;
}

/** Where the input goes right now. */
export interface KeyContext {
  focus: 'table' | 'shell';
  helpOpen: boolean;
}

// Control characters (C0, DEL, C1): never typed into the shell line.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Whether one KeySpec matches a keypress as Ink reports it (`input`, `key`). */
export function specMatches(spec: KeySpec, input: string, key: KeyFlags): boolean {
  const plain = !key.ctrl && !key.meta;
  switch (spec.kind) {
    case 'char':
      return plain && input === spec.char;
    case 'ctrl':
      return key.ctrl === true && input === spec.char;
    case 'special':
      return key[spec.name] === true;
    case 'digit':
      return plain && /^[1-9]$/.test(input);
    case 'text':
      return plain && input.length > 0 && !CONTROL.test(input);
    case 'any':
      return true;
  }
}

/** Scopes consulted, in order, for a context. */
export function activeScopes(ctx: KeyContext): KeyScope[] {
  // The overlay is modal: every key but Ctrl-C just closes it (htop's habit).
  if (ctx.helpOpen) return ['help'];
  return ['global', ctx.focus];
}

/**
 * The command a keypress means in `ctx`, or undefined if it means nothing there. Global bindings
 * win over the scope's own; within a scope, the first binding in KEY_BINDINGS wins.
 */
export function resolveKey(input: string, key: KeyFlags, ctx: KeyContext): KeyCommand | undefined {
  for (const scope of activeScopes(ctx)) {
    for (const b of KEY_BINDINGS) {
      if (b.scope !== scope) continue;
      const spec = b.keys.find((s) => specMatches(s, input, key));
      if (spec === undefined) continue;
      if (spec.kind === 'digit') return { action: b.action, digit: Number(input) };
      if (spec.kind === 'text') return { action: b.action, text: input };
      return { action: b.action };
    }
  }
  return undefined;
}

/**
 * All commands in one chunk of input. Ink hands over whatever arrived in one read as one `input`:
 * a paste, or keys typed ahead of a busy terminal (tmux, node-pty and fast typists do this), e.g.
 * `GET x\rKEYS *\r`. In the shell such a chunk is text and Enters, in order; tabs become spaces
 * and other control characters are dropped. Anywhere else a chunk is one keypress, or nothing (a
 * paste of `kkk` into the table must not kill three times).
 */
export function resolveKeys(input: string, key: KeyFlags, ctx: KeyContext): KeyCommand[] {
  const chunk = input.length > 1 && !key.ctrl && !key.meta && !ctx.helpOpen && ctx.focus === 'shell';
  if (!chunk) {
    const one = resolveKey(input, key, ctx);
    return one === undefined ? [] : [one];
  }
  const out: KeyCommand[] = [];
  for (const part of input.split(/(\r\n|\r|\n)/)) {
    if (part === '\r\n' || part === '\r' || part === '\n') {
      out.push({ action: 'shell-submit' });
      continue;
    }
    const text = part.replace(/\t/g, ' ').replace(CONTROL_ALL, '');
    if (text !== '') out.push({ action: 'shell-type', text });
  }
  return out;
}

/** The table's keys that change the membership: the help overlay lists them apart. */
export const MEMBERSHIP_ACTIONS: ReadonlySet<KeyAction> = new Set(['add-node', 'remove-selected', 'transfer-to-selected']);

/** Bindings of one scope, for the help overlay. */
export function bindingsFor(scope: KeyScope): KeyBinding[] {
  return KEY_BINDINGS.filter((b) => b.scope === scope);
}
