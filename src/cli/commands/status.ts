/**
 * `raftkv status`: asks every node for its own status, in parallel, each with a short budget, and
 * prints one row per node. A node that does not answer shows its error instead of stalling the
 * table. Exit code 1 if no node answered.
 */
import { boolFlag, expectPositionals, intFlag } from '../args.js';
import { CLIENT_FLAGS, withClient } from '../client-target.js';
import { EXIT_FAILED, EXIT_OK, type Command } from '../command.js';
import { formatTable } from '../format-table.js';
import { toRaftKvError } from '../../protocol/errors.js';
import type { NodeStatus } from '../../client/raftkv-client.js';

/** Budget per node when --timeout is not given: a live node answers status at once. */
const STATUS_TIMEOUT_MS = 1000;

export const statusCommand: Command = {
  usage: 'raftkv status',
  flags: [...CLIENT_FLAGS, { name: 'json', type: 'boolean', help: 'print the replies as JSON, one line per node' }],
  async run(args, io) {
    expectPositionals(args, 0, 0, 'no arguments');
    const timeoutMs = intFlag(args, 'timeout') ?? STATUS_TIMEOUT_MS;
    const results = await withClient('status', args, io, (client) =>
      Promise.all(
        client.nodes.map(async (node) => {
          try {
            return { node, status: await client.status(node.id, { timeoutMs }), error: null, message: null };
          } catch (err) {
            const e = toRaftKvError(err);
            return { node, status: null as NodeStatus | null, error: e.code as string, message: e.message };
          }
        }),
      ),
    );
    if (boolFlag(args, 'json')) {
      for (const r of results) {
        io.out(`${JSON.stringify(r.status ?? { id: r.node.id, error: { code: r.error, message: r.message } })}\n`);
      }
    } else {
      const rows = results.map(({ node, status: s, error }) => [
        node.id,
        `${node.host}:${node.port}`,
        s ? s.role : 'unreachable',
        s?.term,
        s ? s.leader || null : null,
        s?.commitIndex,
        s?.lastApplied,
        s?.lastLogIndex,
        error ?? '',
      ]);
      io.out(`${formatTable(['id', 'address', 'role', 'term', 'leader', 'commit', 'applied', 'last', 'error'], rows)}\n`);
    }
    return results.some((r) => r.status !== null) ? EXIT_OK : EXIT_FAILED;
  },
};
