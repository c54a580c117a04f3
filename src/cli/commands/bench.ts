/**
 * `raftkv bench`: a load generator in the spirit of redis-benchmark (see src/cli/bench/), and
 * `raftkv bench --suite` (`npm run bench`), the fixed suite on a fresh cluster.
 *
 * Ctrl-C (or SIGTERM/SIGHUP) stops the running test, closes its connections and, in suite mode,
 * stops the cluster and removes its folder; the exit code is then 130. A second Ctrl-C exits at
 * once (the supervisor's exit hook still kills the nodes).
 */
import { BenchInterrupted, runTest } from '../bench/engine.js';
import { BENCH_FLAGS, parseBenchArgv, resolveBenchOptions, type BenchOptions } from '../bench/options.js';
import { progressLine, progressWanted, type ProgressLine } from '../bench/progress.js';
import { formatJsonLine, formatQuiet, formatReport } from '../bench/report.js';
import { runSuite } from '../bench/suite.js';
import { EXIT_OK, type CliIo, type Command } from '../command.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** 128 + SIGINT, what a shell reports for a program ended by Ctrl-C. */
const EXIT_INTERRUPTED = 130;

async function runTests(options: BenchOptions, io: CliIo, progress: ProgressLine, signal: AbortSignal): Promise<void> {
  for (const test of options.tests) {
    let result;
    try {
      result = await runTest({
        test,
        clients: options.clients,
        pipeline: options.pipeline,
        size: options.size!,
        dataSizeBytes: options.dataSizeBytes,
        keyspace: options.keyspace,
        readRatio: options.readRatio,
        nodes: options.nodes!,
        signal,
        onTick: (p) => progress.update(p),
      });
    } finally {
      progress.clear();
    }
    if (options.output === 'json') io.out(formatJsonLine(result));
    else if (options.output === 'quiet') io.out(formatQuiet(result));
    else io.out(formatReport(result, options.targetLabel));
  }
}

export const benchCommand: Command = {
  usage:
    'raftkv bench [-c clients] [-n requests | --duration S] [-t set,get,cas,mixed] [-d bytes] [-r keyspace] [-P pipeline]\n' +
    '                    [--config F | --nodes H:P,... | [--host H] -p P] [--json | -q]\n' +
    '       raftkv bench --suite [--quick] [--duration S | -n N] [-d bytes] [-r keyspace] [-P pipeline]',
  flags: BENCH_FLAGS,
  parseArgv: parseBenchArgv,
  notes:
    'Speaks RESP2 over raw sockets. Client connections are spread round-robin over the target nodes\n' +
    '(followers forward writes to the leader). Latency is measured from the write of a request to its\n' +
    'reply. Error replies are counted (the first is shown) and do not stop a test; a lost connection does.\n' +
    'Tests: set = SET key value; get = GET key; cas = CAS key value value (swaps once set has run);\n' +
    'mixed = GET or SET at random (--read-ratio of GETs). Keys: key:__rand_int__, or with -r R random\n' +
    'keys key:000000000000..R-1 as redis-benchmark -r.\n' +
    '-h is help (not host): name one node with --host H -p P.\n\n' +
    'examples:\n' +
    '  raftkv bench -q                                   # set,get; 50 clients; 100000 requests each; ./cluster.json\n' +
    '  raftkv bench -t set -c 64 --duration 10 -r 100000 --json\n' +
    '  raftkv bench -p 7001 -t mixed --read-ratio 0.9 -P 16\n' +
    '  npm run bench                                     # = raftkv bench --suite (fresh 3-node cluster, one table)',
  async run(args, io) {
    const options = resolveBenchOptions(args, io.cwd);
    const progress = progressLine(progressWanted(), (s) => io.err(s));
    const abort = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      if (abort.signal.aborted) process.exit(EXIT_INTERRUPTED);
      progress.clear();
      io.err(`\n${signal}: stopping the bench${options.suite ? ' and its cluster' : ''} (again to exit at once)\n`);
      abort.abort();
    };
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
    try {
      if (options.suite) await runSuite(options, { io, progress, signal: abort.signal });
      else await runTests(options, io, progress, abort.signal);
      return EXIT_OK;
    } catch (err) {
      if (err instanceof BenchInterrupted) {
        io.err('raftkv bench: interrupted\n');
        return EXIT_INTERRUPTED;
      }
      throw err;
    } finally {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    }
  },
};
