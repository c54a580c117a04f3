/**
 * `npm run fuzz -- [--inputs N] [--seed S]`: the fuzz tests with N inputs per target (default
 * 100,000) — in-process at the decoders and validators, and live against a 3-node cluster — and a
 * given seed (default: a new one, printed, so a failure can be replayed with --seed).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const inputs = flag('inputs') ?? '100000';
const seed = flag('seed') ?? String(Math.floor(Math.random() * 2 ** 31));
if (!/^[1-9]\d*$/.test(inputs) || !/^\d+$/.test(seed)) {
  console.error('usage: npm run fuzz -- [--inputs N] [--seed S]');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
console.log(`fuzz: ${inputs} inputs per target, seed ${seed} (replay: npm run fuzz -- --inputs ${inputs} --seed ${seed})`);
const tap = join(here, '../../../node_modules/.bin/tap');
const r = spawnSync(tap, ['--disable-coverage', '--timeout', '3600', join(here, 'decoders.test.js'), join(here, '../e2e/fuzz-live.test.js')], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_INPUTS: inputs, FUZZ_SEED: seed },
});
process.exit(r.status ?? 1);
