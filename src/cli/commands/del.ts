/** `raftkv del KEY...`: prints `(integer) N`, the number of keys that existed (redis-cli style). */
import { expectPositionals } from '../args.js';
import { CLIENT_FLAGS, withClient } from '../client-target.js';
import { EXIT_OK, type Command } from '../command.js';

export const delCommand: Command = {
  usage: 'raftkv del KEY [KEY...]',
  flags: CLIENT_FLAGS,
  async run(args, io) {
    const keys = expectPositionals(args, 1, Infinity, 'KEY [KEY...]');
    const removed = await withClient('del', args, io, (client) => client.del(keys));
    io.out(`(integer) ${removed}\n`);
    return EXIT_OK;
  },
};
