/** `raftkv set KEY VALUE`: prints OK once the write is committed and applied. */
import { expectPositionals } from '../args.js';
import { CLIENT_FLAGS, withClient } from '../client-target.js';
import { EXIT_OK, type Command } from '../command.js';

export const setCommand: Command = {
  usage: 'raftkv set KEY VALUE',
  flags: CLIENT_FLAGS,
  async run(args, io) {
    const [key, value] = expectPositionals(args, 2, 2, 'KEY VALUE');
    await withClient('set', args, io, (client) => client.set(key, value));
    io.out('OK\n');
    return EXIT_OK;
  },
};
