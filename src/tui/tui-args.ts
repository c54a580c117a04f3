/**
 * raft-tui's command line: `raft-tui [--config F]`, `--help`. Its own tiny parser (the raftkv
 * CLI's lives in src/cli, which the TUI does not import). Mistakes throw BAD_FLAG; the bin prints
 * the message and the usage on stderr and exits 2, as the raftkv CLI does.
 */
import { RaftKvError } from '../protocol/errors.js';

export const DEFAULT_TUI_CONFIG = 'cluster.json';

export const TUI_USAGE = `usage: raft-tui [--config F]

The live monitor and shell of a raftkv cluster. Attaches to the supervisor
(raftkv up) of the cluster in F, or starts one and asks on quit whether to
stop it.

flags:
  --config F   cluster file (default ./${DEFAULT_TUI_CONFIG})
  -h, --help   show this help
`;

export interface TuiArgs {
  /** As given (relative to the working directory); undefined = the default file. */
  config?: string;
  help: boolean;
}

function bad(message: string): RaftKvError {
  return new RaftKvError('BAD_FLAG', message);
}

export function parseTuiArgs(argv: readonly string[]): TuiArgs {
  const out: TuiArgs = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '-h' || word === '--help') {
      out.help = true;
      continue;
    }
    let value: string | undefined;
    if (word === '--config') {
      value = argv[++i];
      if (value === undefined || value.startsWith('-')) throw bad('--config: needs a value (a cluster file)');
    } else if (word.startsWith('--config=')) {
      value = word.slice('--config='.length);
    } else if (word.startsWith('-')) {
      throw bad(`unknown flag ${JSON.stringify(word)}`);
    } else {
      throw bad(`unexpected argument ${JSON.stringify(word)} (raft-tui takes flags only)`);
    }
    if (value === '') throw bad('--config: needs a non-empty value');
    if (out.config !== undefined) throw bad('--config given twice');
    out.config = value;
  }
  return out;
}
