/**
 * The tool gate: found on PATH, the skip reason names the Debian package, and with CI=true a
 * missing tool fails the run (checked in a child tap process with a PATH that lacks the tools).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingToolsReason, onPath } from './require-tool.js';

const GATE = fileURLToPath(new URL('./require-tool.js', import.meta.url));
/** tap by absolute URL: the gated file lives in a temp folder outside node_modules' reach. */
const TAP = import.meta.resolve('tap');

t.test('a tool is found in any PATH folder, and only there', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-tools-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'redis-cli'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(dir, 'tmux'), 'not executable\n', { mode: 0o644 });
  t.ok(onPath('redis-cli', `/nonexistent:${dir}`), 'found in the second folder');
  t.notOk(onPath('tmux', dir), 'a file that cannot be executed does not count');
  t.notOk(onPath('redis-cli', ''), 'an empty PATH has nothing');
  t.equal(missingToolsReason(['redis-cli'], dir), false, 'nothing missing: no skip');
  t.equal(
    missingToolsReason(['nc', 'redis-cli', 'redis-benchmark', 'tmux'], dir),
    'needs nc, redis-benchmark, tmux (apt-get install netcat-openbsd redis-tools tmux)',
    'one reason naming each missing tool and each package once',
  );
});

/** Runs a tiny tap test file gated on tmux, with a PATH whose one folder holds only `node`. */
function runGated(ci: string | undefined): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-gate-'));
  try {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const file = join(dir, 'gated.test.mjs');
    writeFileSync(
      file,
      `import t from ${JSON.stringify(TAP)};\nimport { requireTools } from ${JSON.stringify(GATE)};\n` +
        `t.test('uses tmux', { skip: requireTools('tmux') }, async (t) => t.pass('ran'));\n`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin, TAP_REPORTER: 'tap' };
    delete env.CI;
    if (ci !== undefined) env.CI = ci;
    // Run the file as a plain node script: tap prints TAP to stdout and exits non-zero on failure.
    const r = spawnSync(process.execPath, [file], { env, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test('without the tool: skipped with the package named, or red under CI=true', async (t) => {
  const plain = runGated(undefined);
  t.equal(plain.status, 0, `skipping passes: ${plain.out}`);
  t.match(plain.out, /# SKIP needs tmux \(apt-get install tmux\)/, 'the skip line names the package');
  const ci = runGated('true');
  t.not(ci.status, 0, 'CI=true with a missing tool fails');
  t.match(ci.out, /not ok .*needs tmux \(apt-get install tmux\): CI=true requires every tool/, 'and says why');
});
