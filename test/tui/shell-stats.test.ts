/** Latency percentiles of shell requests and the leader's commit rate. */
import t from 'tap';
import { EMPTY_METRICS } from '../../src/tui/model.js';
import { CommitRate, currentMetrics, LatencyWindow, percentile } from '../../src/tui/shell-stats.js';

t.test('percentile: nearest rank', async (t) => {
  t.equal(percentile([], 50), undefined);
  t.equal(percentile([7], 99), 7);
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  t.equal(percentile(hundred, 50), 50);
  t.equal(percentile(hundred, 99), 99);
  t.equal(percentile(hundred, 100), 100);
});

t.test('LatencyWindow counts everything, keeps the last `capacity`', async (t) => {
  const w = new LatencyWindow(4);
  t.same(w.summary(), { p50Ms: undefined, p99Ms: undefined });
  for (const ms of [100, 100, 100, 100, 1, 2, 3, 4]) w.add(ms);
  t.equal(w.count, 8);
  t.same(w.summary(), { p50Ms: 2, p99Ms: 4 }, 'the old 100s rolled out');
  t.equal(w.summary(), w.summary(), 'cached until the next sample');
});

t.test('CommitRate: per second over the window, one leader at a time', async (t) => {
  const r = new CommitRate(5000);
  t.equal(r.ratePerSec(), undefined);
  r.observe({ id: 1, term: 2, commitIndex: 10 }, 0);
  r.observe({ id: 1, term: 2, commitIndex: 12 }, 500);
  t.equal(r.ratePerSec(), undefined, 'under a second of samples says nothing');
  r.observe({ id: 1, term: 2, commitIndex: 30 }, 2000);
  t.equal(r.ratePerSec(), 10);
  // Far later: only the last window counts.
  r.observe({ id: 1, term: 2, commitIndex: 30 }, 20_000);
  t.equal(r.ratePerSec(), undefined, 'the old samples left the window');
  r.observe({ id: 1, term: 2, commitIndex: 33 }, 21_000);
  t.equal(r.ratePerSec(), 3);
  r.observe({ id: 2, term: 3, commitIndex: 500 }, 21_500);
  t.equal(r.ratePerSec(), undefined, 'a new leader starts over');
  r.observe(undefined, 22_000);
  t.equal(r.ratePerSec(), undefined, 'no leader, no rate');
  r.observe({ id: 2, term: 3, commitIndex: 500 }, 23_000);
  r.observe({ id: 2, term: 3, commitIndex: 501 }, 26_000);
  t.equal(r.ratePerSec(), 0.3, 'rounded to 0.1');
});

t.test('currentMetrics keeps the old object while nothing changed', async (t) => {
  const latency = new LatencyWindow();
  const commits = new CommitRate();
  const first = currentMetrics(EMPTY_METRICS, latency, commits);
  t.equal(first, EMPTY_METRICS, 'nothing measured yet: unchanged');
  latency.add(3);
  const second = currentMetrics(first, latency, commits);
  t.same(second, { shellOps: 1, p50Ms: 3, p99Ms: 3, commitRatePerSec: undefined });
  t.equal(currentMetrics(second, latency, commits), second);
});
