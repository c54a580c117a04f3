/**
 * What every `raftkv` subcommand is: its flags, help text and a run function (its name and summary
 * are in command-list.ts, so that listing the commands loads none of them). Output goes
 * through CliIo so tests can run commands in-process and read what they printed.
 */
import type { FlagSpec, ParsedArgs } from './args.js';

export interface CliIo {
  /** Writes to standard output (a newline is not added). */
  out(text: string): void;
  /** Writes to standard error (a newline is not added). */
  err(text: string): void;
  /** Folder relative paths resolve against. */
  cwd: string;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get cwd() {
    return process.cwd();
  },
};

export interface Command {
  /** The usage line(s), without the flag list: `raftkv get KEY`. */
  usage: string;
  flags: readonly FlagSpec[];
  /** Extra help text after the flags (examples, notes). */
  notes?: string;
  /**
   * Parses the words after the command name, instead of `parseArgs(argv, flags)`: for a command
   * that takes another tool's short options (`bench -c 50`, as redis-benchmark). Throws UsageError.
   */
  parseArgv?(argv: readonly string[]): ParsedArgs;
  /**
   * Runs the command; resolves with the exit code (0 ok, 1 failed). Throws UsageError for
   * argument mistakes (exit code 2) and RaftKvError for failures (exit code 1).
   */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** Exit codes. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
