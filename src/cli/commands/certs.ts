/**
 * `raftkv certs [--config F] [--out DIR]`: the cluster CA, one certificate per member and one for
 * clients (see src/cluster/certificates.ts). DIR defaults to the cluster file's
 * `security.certDir`, else `<dataDir>/certs`. Adds what is missing; keeps what exists. `--node N
 * --host H` adds a member certificate for a node that will join (signed by the same CA).
 */
import { resolve } from 'node:path';
import { loadClusterConfig } from '../../protocol/cluster-config.js';
import { expectPositionals, intFlag, stringFlag, UsageError } from '../args.js';
import { DEFAULT_CONFIG_FILE } from '../client-target.js';
import { EXIT_OK, type Command } from '../command.js';

export const certsCommand: Command = {
  usage: 'raftkv certs [--config F] [--out DIR] [--node N --host H]',
  flags: [
    { name: 'node', type: 'int', valueName: 'N', min: 1, help: 'also a certificate for node N, not in the cluster file (a member to add with raftkv node --join)' },
    { name: 'host', type: 'string', valueName: 'H', help: "--node: the host name or address the others reach node N at" },
    { name: 'config', type: 'string', valueName: 'F', help: `cluster file (default ./${DEFAULT_CONFIG_FILE})` },
    { name: 'out', type: 'string', valueName: 'DIR', help: "where the files go (default: the cluster file's security.certDir, else <dataDir>/certs)" },
  ],
  notes: 'Files: ca.crt ca.key node-<id>.crt node-<id>.key client.crt client.key (keys mode 0600). Existing files are kept, the CA above all.',
  async run(args, io) {
    expectPositionals(args, 0, 0, 'no arguments');
    const cfg = loadClusterConfig(resolve(io.cwd, stringFlag(args, 'config') ?? DEFAULT_CONFIG_FILE));
    const outFlag = stringFlag(args, 'out');
    const dir = outFlag !== undefined ? resolve(io.cwd, outFlag) : (cfg.security?.certDir ?? resolve(cfg.dataDir, 'certs'));
    // Loaded here, not with the CLI: the X.509 library costs start-up time every other command does not need.
    const { ensureCertificates } = await import('../../cluster/certificates.js');
    const extraId = intFlag(args, 'node');
    const extraHost = stringFlag(args, 'host');
    if ((extraId === undefined) !== (extraHost === undefined)) throw new UsageError('--node and --host go together');
    const members = extraId === undefined ? cfg.nodes : [...cfg.nodes.filter((n) => n.id !== extraId), { id: extraId, host: extraHost! }];
    const written = await ensureCertificates(dir, members);
    io.out(written.length === 0 ? `${dir}: every file is there already; nothing written\n` : `${dir}: wrote ${written.map((p) => p.slice(dir.length + 1)).join(' ')}\n`);
    return EXIT_OK;
  },
};
