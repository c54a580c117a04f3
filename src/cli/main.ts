/**
 * The `raftkv` command line: picks the subcommand, parses its flags, runs it, and maps failures to
 * exit codes (0 ok, 1 the operation failed, 2 the command line was wrong). Kept apart from the bin
 * file (raftkv.ts) so tests can run it in-process.
 */
import { RaftKvError, toRaftKvError } from '../protocol/errors.js';
import { formatFlagsHelp, parseArgs, UsageError } from './args.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo, type Command } from './command.js';
import { COMMANDS, type CommandEntry } from './command-list.js';

export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return (
    'raftkv: a replicated key-value store on Raft\n\n' +
    'usage: raftkv <command> [arguments] [flags]\n\n' +
    `commands:\n${list}\n\n` +
    "Run `raftkv <command> --help` for a command's flags.\n"
  );
}

export function commandHelp(entry: CommandEntry, cmd: Command): string {
  const notes = cmd.notes ? `\n${cmd.notes}\n` : '';
  return `${entry.summary}\n\nusage: ${cmd.usage}\n\nflags:\n${formatFlagsHelp(cmd.flags)}\n${notes}`;
}

/** Runs the command line `argv` (without `node raftkv`) and resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(`${generalHelp()}\nraftkv: missing command\n`);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(generalHelp());
    return EXIT_OK;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err(`raftkv: unknown command ${JSON.stringify(name)} (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see raftkv --help)\n`);
    return EXIT_USAGE;
  }
  const cmd = await entry.load();
  try {
    const args = cmd.parseArgv ? cmd.parseArgv(rest) : parseArgs(rest, cmd.flags);
    if (args.help) {
      io.out(commandHelp(entry, cmd));
      return EXIT_OK;
    }
    return await cmd.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`raftkv ${entry.name}: ${err.message}\nusage: ${cmd.usage}\n(see raftkv ${entry.name} --help)\n`);
      return EXIT_USAGE;
    }
    const e = err instanceof RaftKvError ? err : toRaftKvError(err);
    io.err(`raftkv ${entry.name}: ${e.code}: ${e.message}\n`);
    if (e.code === 'INTERNAL' && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return EXIT_FAILED;
  }
}
