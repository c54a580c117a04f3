/**
 * The shell's commands, their arity and usage, and what a typed line means. Pure: deciding what
 * to do with a line needs no cluster, so every bad line is answered here without a round trip.
 *
 * Lines are split into words by the same splitter the server uses for inline commands
 * (protocol/inline.ts: Redis's sdssplitargs, so quoting works as in redis-cli).
 *
 * Arity follows Redis's convention: `n > 0` means exactly n words (command included), `n < 0`
 * means at least -n; `maxArgs` caps the optional ones. Errors are worded as Redis words them, then
 * the usage line, which redis-cli does not print but a newcomer needs.
 *
 * A command the shell does not know is not refused: it goes to the node as typed (RESP, as
 * redis-cli sends it), so INFO, RAFT.INFO, DBSIZE, CONFIG GET and whatever the node supports
 * work; the node's reply or error is printed. `:node N` picks the node the shell talks to.
 */
import { splitInlineArgs } from '../../protocol/inline.js';

export type ShellCommandName = 'get' | 'set' | 'del' | 'cas' | 'keys' | 'exists' | 'ping' | 'help' | 'clear';

export interface ShellCommandSpec {
  name: ShellCommandName;
  arity: number;
  /** Upper bound on words, for variadic commands that have one. */
  maxArgs?: number;
  /** Usage line: `GET key`. */
  usage: string;
  summary: string;
  /** Answered by the shell itself, never sent to the cluster. */
  local: boolean;
}

export const SHELL_COMMANDS: readonly ShellCommandSpec[] = [
  { name: 'get', arity: 2, usage: 'GET key', summary: 'Get the value of a key', local: false },
  { name: 'set', arity: 3, usage: 'SET key value', summary: 'Set a key to a value', local: false },
  { name: 'del', arity: -2, usage: 'DEL key [key ...]', summary: 'Delete keys; replies how many existed', local: false },
  { name: 'cas', arity: 4, usage: 'CAS key expected new', summary: 'Set key to new only if it holds expected', local: false },
  { name: 'keys', arity: 2, usage: 'KEYS pattern', summary: 'List keys matching a glob pattern (KEYS *)', local: false },
  { name: 'exists', arity: -2, usage: 'EXISTS key [key ...]', summary: 'Count how many of the keys exist', local: false },
  { name: 'ping', arity: -1, maxArgs: 2, usage: 'PING [message]', summary: 'Check the cluster answers', local: false },
  { name: 'help', arity: -1, maxArgs: 2, usage: 'HELP [command]', summary: 'List commands, or show one command', local: true },
  { name: 'clear', arity: 1, usage: 'CLEAR', summary: 'Clear the shell output', local: true },
];

const BY_NAME = new Map(SHELL_COMMANDS.map((c) => [c.name as string, c]));

export function findCommand(name: string): ShellCommandSpec | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** How a line of output is drawn: the echoed input, a reply, an error, or the shell's own text. */
export type ShellLineTone = 'input' | 'reply' | 'error' | 'info';

export interface ShellLine {
  text: string;
  tone: ShellLineTone;
}

/** What to do with a typed line. */
export type LinePlan =
  /** Blank line: nothing runs (as in redis-cli). */
  | { kind: 'none' }
  /** Answered locally: print these lines. */
  | { kind: 'print'; lines: ShellLine[] }
  /** Clear the output. */
  | { kind: 'clear' }
  /** Send to the cluster. `argv[0]` is the command name in upper case; the rest as typed. */
  | { kind: 'execute'; command: ShellCommandName; argv: string[] }
  /** Not a shell command: send to the node as a Redis command, exactly as typed. */
  | { kind: 'send'; argv: string[] }
  /** `:node N`: talk to node N from now on. */
  | { kind: 'node'; id: number };

/** The shell's own command to pick a node; the colon keeps it apart from every Redis command. */
export const NODE_COMMAND = ':node';

const err = (text: string): ShellLine => ({ text, tone: 'error' });
const info = (text: string): ShellLine => ({ text, tone: 'info' });

/** Decides what a line means. Never throws, whatever the line holds. */
export function planLine(line: string): LinePlan {
  const argv = splitInlineArgs(line);
  // redis-cli's own words for a line it cannot split (unbalanced or glued quotes).
  if (argv === null) return { kind: 'print', lines: [err('Invalid argument(s)')] };
  if (argv.length === 0) return { kind: 'none' };
  if (argv[0]!.toLowerCase() === NODE_COMMAND) {
    const id = argv.length === 2 && /^[1-9]\d{0,8}$/.test(argv[1]!) ? Number(argv[1]) : null;
    return id === null ? { kind: 'print', lines: [err(`(error) ERR usage: ${NODE_COMMAND} <id>`), info('  e.g. :node 2 (ids are in the table)')] } : { kind: 'node', id };
  }
  const spec = findCommand(argv[0]!);
  if (spec === undefined) return { kind: 'send', argv };
  if (!arityOk(spec, argv.length)) {
    return {
      kind: 'print',
      lines: [err(`(error) ERR wrong number of arguments for '${spec.name}' command`), info(`usage: ${spec.usage}`)],
    };
  }
  if (spec.name === 'clear') return { kind: 'clear' };
  if (spec.name === 'help') return { kind: 'print', lines: helpLines(argv[1]) };
  return { kind: 'execute', command: spec.name, argv: [spec.name.toUpperCase(), ...argv.slice(1)] };
}

export function arityOk(spec: ShellCommandSpec, words: number): boolean {
  if (spec.arity > 0) return words === spec.arity;
  return words >= -spec.arity && (spec.maxArgs === undefined || words <= spec.maxArgs);
}

function commandList(): string {
  return SHELL_COMMANDS.map((c) => c.name.toUpperCase()).join(' ');
}

function helpLines(topic: string | undefined): ShellLine[] {
  if (topic !== undefined) {
    const spec = findCommand(topic);
    if (spec === undefined) return [info(`${topic.toUpperCase()} is not a shell command: typed as a command, it goes to the node as is`), info(`Shell commands: ${commandList()}`)];
    return [info(`usage: ${spec.usage}`), info(`  ${spec.summary}`)];
  }
  const nodeUsage = `${NODE_COMMAND} <id>`;
  const width = Math.max(nodeUsage.length, ...SHELL_COMMANDS.map((c) => c.usage.length));
  return [
    ...SHELL_COMMANDS.map((c) => info(`${c.usage.padEnd(width)}  ${c.summary}`)),
    info(`${nodeUsage.padEnd(width)}  Talk to node <id> from now on (the prompt shows which)`),
    info('Any other command goes to the node as typed, as with redis-cli:'),
    info('  INFO [section], RAFT.INFO, DBSIZE, CONFIG GET <name>, READONLY, ...'),
  ];
}
