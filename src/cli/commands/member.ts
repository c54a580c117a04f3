/**
 * `raftkv member list | add <id> <host:port:peerPort> [--learner] | promote <id> | remove <id>`:
 * the membership of a running cluster, through any node (followers relay to the leader). A change
 * returns once it is committed; an error (BAD_REQUEST, IN_PROGRESS, NOT_CAUGHT_UP, ...) is printed
 * with its code and exits 1, and changed nothing.
 */
import { nodeIdOfWord } from '../../protocol/membership-validate.js';
import { memberAddressArg } from '../../protocol/redis-commands.js';
import { boolFlag, expectPositionals, UsageError } from '../args.js';
import { CLIENT_FLAGS, withClient } from '../client-target.js';
import { EXIT_OK, type Command } from '../command.js';
import { formatTable } from '../format-table.js';

/** A node id argument, or a usage error naming `what`. */
export function nodeIdArgument(word: string | undefined, what: string): number {
  const id = word === undefined ? null : nodeIdOfWord(word);
  if (id === null) throw new UsageError(`${what}: a node id (a positive integer), got ${JSON.stringify(word ?? '')}`);
  return id;
}

export const memberCommand: Command = {
  usage: 'raftkv member list | add <id> <host:port:peerPort> [--learner] | promote <id> | remove <id>',
  flags: [...CLIENT_FLAGS, { name: 'learner', type: 'boolean', help: 'add: as a learner (gets the log, no vote) to promote once it caught up' }],
  notes: 'Any node takes the request; a change is done once committed. One change at a time: IN_PROGRESS means another is not yet committed.',
  async run(args, io) {
    const [sub, ...rest] = expectPositionals(args, 1, 3, 'list | add <id> <host:port:peerPort> | promote <id> | remove <id>');
    const exact = (n: number, what: string) => {
      if (rest.length !== n) throw new UsageError(`member ${sub}: expected ${what}`);
    };
    if (sub !== 'add' && boolFlag(args, 'learner')) throw new UsageError('--learner goes with member add');
    switch (sub) {
      case 'list': {
        exact(0, 'no arguments');
        const members = await withClient('member', args, io, (c) => c.members());
        io.out(`${formatTable(['id', 'address', 'peer port', 'role'], members.map((m) => [m.id, `${m.host}:${m.port}`, m.peerPort, m.role]))}\n`);
        return EXIT_OK;
      }
      case 'add': {
        exact(2, '<id> <host:port:peerPort>');
        const id = nodeIdArgument(rest[0], 'member add');
        const address = memberAddressArg(rest[1]!);
        if (typeof address === 'string') throw new UsageError(`member add: ${address}`);
        const learner = boolFlag(args, 'learner');
        await withClient('member', args, io, (c) => c.addMember(id, address, { learner }));
        io.out(`node ${id} added as a ${learner ? 'learner' : 'voter'}\n`);
        return EXIT_OK;
      }
      case 'promote':
      case 'remove': {
        exact(1, '<id>');
        const id = nodeIdArgument(rest[0], `member ${sub}`);
        await withClient('member', args, io, (c) => (sub === 'promote' ? c.promoteMember(id) : c.removeMember(id)));
        io.out(`node ${id} ${sub === 'promote' ? 'promoted to voter' : 'removed'}\n`);
        return EXIT_OK;
      }
      default:
        throw new UsageError(`unknown member subcommand ${JSON.stringify(sub)} (list, add, promote, remove)`);
    }
  },
};

export const transferLeaderCommand: Command = {
  usage: 'raftkv transfer-leader <id>',
  flags: CLIENT_FLAGS,
  notes: 'Returns once the node asked sees the new leader; writes get a retryable error while the transfer runs.',
  async run(args, io) {
    const [word] = expectPositionals(args, 1, 1, '<id>');
    const id = nodeIdArgument(word, 'transfer-leader');
    await withClient('transfer-leader', args, io, (c) => c.transferLeader(id));
    io.out(`node ${id} is the leader\n`);
    return EXIT_OK;
  },
};
