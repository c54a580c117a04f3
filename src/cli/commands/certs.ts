/**
 * `raftkv certs [--config F] [--out DIR]`: the cluster CA, one certificate per member and one for
 * clients (see src/cluster/certificates.ts). DIR defaults to the cluster file's
 * `security.certDir`, else `<dataDir>/certs`. Adds what is missing; keeps what exists.
 */
import { resolve } from 'node:path';
import { loadClusterConfig } from '../../protocol/cluster-config.js';
import { expectPositionals, stringFlag } from '../args.js';
import { DEFAULT_CONFIG_FILE } from '../client-target.js';
import { EXIT_OK, type Command } from '../command.js';

export const certsCommand: Command = {
  name: 'certs',
  summary: 'make the cluster CA and the member and client certificates (TLS)',
  usage: 'raftkv certs [--config F] [--out DIR]',
  flags: [
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
    const written = await ensureCertificates(dir, cfg.nodes);
    io.out(written.length === 0 ? `${dir}: every file is there already; nothing written\n` : `${dir}: wrote ${written.map((p) => p.slice(dir.length + 1)).join(' ')}\n`);
    return EXIT_OK;
  },
};
