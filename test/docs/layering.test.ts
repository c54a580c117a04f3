/**
 * The layout's import rules (README, "Layout"), checked on the sources: the core imports only
 * protocol types, the node never imports the client library or the supervisor, protocol imports
 * nothing of ours, and nothing imports raft-tui. Static and dynamic imports both count. A rule
 * broken by accident (a convenient import across a layer) fails here instead of in a review.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/test/docs -> the repository's src/ (read as TypeScript, not as compiled output). */
const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/** Which layers each layer may import (its own always). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  protocol: [],
  'node/raft': ['protocol'],
  node: ['node/raft', 'protocol'],
  client: ['protocol'],
  cluster: ['protocol', 'client'],
  cli: ['client', 'cluster', 'protocol'],
  tui: ['client', 'cluster', 'protocol'],
};
/** The one crossing the rules allow by name: `raftkv node` starts the node process. */
const ALLOWED = new Set(['cli/commands/node.ts -> node/node-main.js']);

function layerOf(rel: string): string {
  return rel.startsWith('node/raft/') ? 'node/raft' : rel.split('/')[0]!;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Relative import specifiers: `from '…'`, `import '…'` and `import('…')`. */
function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*)'(\.[^']+)'/g)) out.push(m[1]!);
  return out;
}

t.test('every import in src/ follows the layout', async (t) => {
  const files = sources(SRC);
  t.ok(files.length > 100, `read ${files.length} source files`);
  const broken: string[] = [];
  const unknown: string[] = [];
  let crossings = 0;
  for (const file of files) {
    const rel = relative(SRC, file);
    const from = layerOf(rel);
    if (!(from in MAY_IMPORT)) unknown.push(rel);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = relative(SRC, normalize(join(dirname(file), spec)));
      if (target.startsWith('..')) continue;
      const to = layerOf(target);
      if (to === from) continue;
      crossings++;
      if (!MAY_IMPORT[from]?.includes(to) && !ALLOWED.has(`${rel} -> ${target}`)) broken.push(`${rel} imports ${target} (${from} may import ${MAY_IMPORT[from]?.join(', ') || 'nothing of ours'})`);
    }
  }
  t.ok(crossings > 50, `${crossings} imports across layers checked`);
  t.same(unknown, [], 'files outside the layers of the layout');
  t.same(broken, [], 'imports against the layout');
});

t.test('the check sees static, side-effect and dynamic imports', async (t) => {
  t.same(importsOf(`import a from '../x.js';\nimport '../y.js';\nconst z = await import('../z.js');\nimport type { T } from './t.js';`), ['../x.js', '../y.js', '../z.js', './t.js']);
});
