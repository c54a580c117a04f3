/**
 * `raftkv cas KEY EXPECTED NEW` (or `raftkv cas --absent KEY NEW`): compare-and-swap. Prints
 * `(integer) 1` if the value was swapped, `(integer) 0` if the current value differed (the same
 * replies as the CAS command on the client port); the exit code is 0 either way, so scripts tell
 * the outcomes apart by the output, and failures (timeouts) by the exit code.
 */
import { boolFlag, expectPositionals } from '../args.js';
import { CLIENT_FLAGS, withClient } from '../client-target.js';
import { EXIT_OK, type Command } from '../command.js';

export const casCommand: Command = {
  usage: 'raftkv cas KEY EXPECTED NEW\n       raftkv cas --absent KEY NEW',
  flags: [...CLIENT_FLAGS, { name: 'absent', type: 'boolean', help: 'swap only if the key does not exist (no EXPECTED)' }],
  notes: 'Prints (integer) 1 if swapped, (integer) 0 if not.',
  async run(args, io) {
    const absent = boolFlag(args, 'absent');
    let key: string;
    let expected: string | null;
    let value: string;
    if (absent) {
      [key, value] = expectPositionals(args, 2, 2, 'KEY NEW (with --absent)');
      expected = null;
    } else {
      [key, expected, value] = expectPositionals(args, 3, 3, 'KEY EXPECTED NEW');
    }
    const swapped = await withClient('cas', args, io, (client) => client.cas(key, expected, value));
    io.out(`(integer) ${swapped ? 1 : 0}\n`);
    return EXIT_OK;
  },
};
