/**
 * `npm run chaos -- [--seconds N] [--seed S] [--verbose]`: one long chaos run (chaos-run.ts),
 * ending with one verdict line; exit code 0 only for a linearizable history.
 */
import { runChaos, verdictLine } from './chaos-run.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const seconds = Number(flag('seconds') ?? 60);
const seed = Number(flag('seed') ?? Date.now() % 1_000_000);
const verbose = process.argv.includes('--verbose');
if (!Number.isInteger(seconds) || seconds < 5 || !Number.isInteger(seed)) {
  process.stderr.write('usage: npm run chaos -- [--seconds N (>= 5)] [--seed S] [--verbose]\n');
  process.exit(2);
}

// The run registers its cleanup (stop the cluster, kill its processes, remove its folder) here.
const teardowns: Array<() => unknown> = [];
const tap = { teardown: (fn: () => unknown) => void teardowns.push(fn), comment: (...a: unknown[]) => verbose && console.error(...a) };
async function cleanUp(): Promise<void> {
  for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch(() => {});
}
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

let code = 1;
try {
  // More keys for longer runs: the checker's work grows with the history of each key.
  const keys = Math.max(4, Math.round(seconds / 25));
  const report = await runChaos(tap, { seconds, seed, keys, log: (line) => verbose && console.error(line) });
  if (report.check.ok !== true && verbose) console.error(report.check.explanation);
  console.log(verdictLine(report));
  code = report.check.ok === true ? 0 : 1;
} catch (err) {
  console.log(`chaos ${seconds}s seed ${seed}: ERROR: ${(err as Error).message}`);
} finally {
  await cleanUp();
}
process.exit(code);
