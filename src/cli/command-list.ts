/**
 * Every `raftkv` subcommand by name, with its one-line summary and a loader. A command's module
 * (and what it pulls in: the supervisor, the node, the bench engine, TLS) is imported only when
 * that command is chosen: loading all of them up front cost every invocation about 0.2 s of CPU
 * before it did anything, which `raftkv ctl add` (issue 10: ≤ 2 s on a busy box) and every node
 * process the supervisor starts paid for nothing. `raftkv --help` needs only the names and
 * summaries, so it loads none.
 */
import type { Command } from './command.js';

export interface CommandEntry {
  name: string;
  /** One line for the command list of `raftkv --help` (and the first line of the command's own help). */
  summary: string;
  /** Imports the command's module. */
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'up',
    summary: 'run a supervised cluster in the foreground (Ctrl-C stops it)',
    load: async () => (await import('./commands/up.js')).upCommand,
  },
  {
    name: 'node',
    summary: 'run one node in the foreground',
    load: async () => (await import('./commands/node.js')).nodeCommand,
  },
  {
    name: 'ctl',
    summary: 'control a running `raftkv up`: status, kill, restart, stop, snapshot, shutdown, add, remove, transfer, isolate, cut, slow, heal',
    load: async () => (await import('./commands/ctl.js')).ctlCommand,
  },
  {
    name: 'get',
    summary: 'print the value of a key, or (nil)',
    load: async () => (await import('./commands/get.js')).getCommand,
  },
  {
    name: 'set',
    summary: 'set a key to a value',
    load: async () => (await import('./commands/set.js')).setCommand,
  },
  {
    name: 'del',
    summary: 'delete keys; prints how many existed',
    load: async () => (await import('./commands/del.js')).delCommand,
  },
  {
    name: 'cas',
    summary: 'compare-and-swap: set NEW only if the value is EXPECTED',
    load: async () => (await import('./commands/cas.js')).casCommand,
  },
  {
    name: 'status',
    summary: "every node's role, term, leader and log indexes",
    load: async () => (await import('./commands/status.js')).statusCommand,
  },
  {
    name: 'member',
    summary: 'list, add, promote or remove cluster members',
    load: async () => (await import('./commands/member.js')).memberCommand,
  },
  {
    name: 'transfer-leader',
    summary: 'hand leadership to a named voter',
    load: async () => (await import('./commands/member.js')).transferLeaderCommand,
  },
  {
    name: 'bench',
    summary: 'load generator like redis-benchmark (throughput, latency percentiles)',
    load: async () => (await import('./commands/bench.js')).benchCommand,
  },
  {
    name: 'certs',
    summary: 'make the cluster CA and the member and client certificates (TLS)',
    load: async () => (await import('./commands/certs.js')).certsCommand,
  },
];
