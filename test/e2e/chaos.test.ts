/**
 * The short chaos run of `npm test` (chaos-run.ts): ~25 s of faults on a real 3-node cluster,
 * then the linearizability check. CHAOS_SEED replays the client and nemesis choices (the timing
 * of a real cluster cannot be replayed); CHAOS_SECONDS makes it longer.
 */
import t from 'tap';
import { runChaos, verdictLine } from './chaos-run.js';

t.test('chaos: isolate, cut, slow, kill -9, pause; every history linearizable', async (t) => {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
  const seconds = Number(process.env.CHAOS_SECONDS ?? 25);
  t.comment(`seed ${seed} (CHAOS_SEED=${seed} to replay the choices)`);
  const r = await runChaos(t, { seconds, seed, log: (line) => t.comment(line) });
  t.comment(verdictLine(r));
  t.ok(Object.keys(r.faults).length >= 3, `several kinds of fault were injected (${JSON.stringify(r.faults)})`);
  t.ok(r.okWrites > 50, `writes were acknowledged (${r.okWrites})`);
  t.ok(r.okReadsOfValues > 20, `reads saw written values (${r.okReadsOfValues})`);
  t.equal(r.finalReads, 3 * 4, 'every key was read through every node');
  if (r.check.ok !== true) t.comment(r.check.explanation ?? '');
  t.equal(r.check.ok, true, `linearizable (key ${r.check.key ?? '-'}, ${r.check.steps} steps)`);
});
