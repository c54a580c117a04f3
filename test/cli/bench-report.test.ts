/**
 * What the bench prints: latency percentiles from the histogram, the report block, the -q line,
 * the --json object, the suite table and the progress line; and that the pre-encoded requests
 * are what the node's own decoder reads as the intended commands.
 */
import t from 'tap';
import { createLatencyHistogram, summarizeLatency } from '../../src/cli/bench/latency.js';
import { formatProgress, progressLine, progressWanted } from '../../src/cli/bench/progress.js';
import { formatColumns, formatJsonLine, formatQuiet, formatReport, formatSuiteTable } from '../../src/cli/bench/report.js';
import { requestSource } from '../../src/cli/bench/requests.js';
import type { TestResult } from '../../src/cli/bench/engine.js';
import { ClientRequestDecoder } from '../../src/protocol/client-decoder.js';

const RESULT: TestResult = {
  test: 'set',
  clients: 50,
  pipeline: 1,
  dataSizeBytes: 3,
  keyspace: null,
  requests: 100_000,
  errors: 0,
  firstError: null,
  seconds: 2.9104,
  rps: 34_359.54,
  latencyMs: { p50: 1.231, p90: 2.0015, p99: 3.511, p999: 5.119, max: 12.3034 },
};

t.test('latency summary: microseconds in, milliseconds out, 3 significant digits', async (tt) => {
  tt.same(summarizeLatency(createLatencyHistogram()), { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }, 'empty');
  const h = createLatencyHistogram();
  // 1..1000 µs once each, plus one 2.5 s outlier (beyond the initial range: auto-resize).
  for (let us = 1; us <= 1000; us++) h.recordValue(us);
  h.recordValue(2_500_000);
  const s = summarizeLatency(h);
  tt.equal(s.p50, 0.501);
  tt.equal(s.p90, 0.901);
  tt.equal(s.p99, 0.991);
  tt.equal(s.p999, 1);
  tt.ok(Math.abs(s.max - 2500) / 2500 < 0.001, `max ${s.max} within 0.1% of 2500 ms`);
});

t.test('report block, -q line, --json object', async (tt) => {
  tt.equal(
    formatReport(RESULT, 'cluster.json (3 nodes)'),
    '====== SET ======\n' +
      '  100000 requests completed in 2.91 seconds, 0 errors\n' +
      '  50 parallel clients, pipeline 1, 3-byte values, one key, target cluster.json (3 nodes)\n' +
      '  throughput: 34359.54 requests per second\n' +
      '  latency (msec): p50 1.231  p90 2.002  p99 3.511  p99.9 5.119  max 12.303\n\n',
  );
  const withErrors = { ...RESULT, test: 'get' as const, keyspace: 1000, errors: 3, firstError: 'NOT_LEADER no' };
  tt.match(formatReport(withErrors, 'x'), /1000 random keys.*\n.*\n.*\n  first error: NOT_LEADER no\n\n$/);
  tt.equal(formatQuiet(RESULT), 'SET: 34359.54 requests per second, p50=1.231 msec\n');
  tt.equal(formatQuiet(withErrors), 'GET: 34359.54 requests per second, p50=1.231 msec, 3 errors (first: NOT_LEADER no)\n');
  const line = formatJsonLine(RESULT);
  tt.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'), 'one line');
  tt.same(JSON.parse(line), {
    test: 'set',
    clients: 50,
    pipeline: 1,
    dataSizeBytes: 3,
    keyspace: null,
    requests: 100000,
    errors: 0,
    firstError: null,
    seconds: 2.91,
    rps: 34359.5,
    latencyMs: { p50: 1.231, p90: 2.002, p99: 3.511, p999: 5.119, max: 12.303 },
  });
});

t.test('suite table: one row per run, numbers right-aligned', async (tt) => {
  const rows = [
    { label: 'SET', result: { ...RESULT, clients: 1, rps: 812.4 } },
    { label: 'GET (lease)', result: { ...RESULT, test: 'get' as const, clients: 64, errors: 2 } },
  ];
  tt.equal(
    formatSuiteTable(rows),
    'test         clients  req/s  p50 ms  p99 ms  max ms  errors\n' +
      'SET                1    812   1.231   3.511  12.303       0\n' +
      'GET (lease)       64  34360   1.231   3.511  12.303       2\n',
  );
  tt.equal(formatColumns(['a', 'b'], [['x', '1'], ['', '22']], [false, true]), 'a   b\nx   1\n   22');
});

t.test('progress line: bar, percent, counts; only when a person watches', async (tt) => {
  tt.equal(
    formatProgress({ test: 'set', completed: 45_000, requests: 100_000, durationSeconds: null, elapsedSeconds: 1.5 }),
    'SET  [#########...........]  45%  45000/100000  30000 req/s',
  );
  tt.equal(
    formatProgress({ test: 'get', completed: 900, requests: null, durationSeconds: 4, elapsedSeconds: 1 }, 'GET c=16'),
    'GET c=16  [#####...............]  25%  1.0/4s 900  900 req/s',
  );
  tt.equal(formatProgress({ test: 'get', completed: 0, requests: 10, durationSeconds: null, elapsedSeconds: 0 }), 'GET  [....................]   0%  0/10  0 req/s');
  let written = '';
  const on = progressLine(true, (s) => (written += s));
  on.update({ test: 'set', completed: 1, requests: 2, durationSeconds: null, elapsedSeconds: 1 });
  on.clear();
  on.clear();
  tt.equal(written, '\rSET  [##########..........]  50%  1/2  1 req/s\x1b[K\r\x1b[K', 'redrawn in place, erased once');
  let silent = '';
  const off = progressLine(false, (s) => (silent += s));
  off.update({ test: 'set', completed: 1, requests: 2, durationSeconds: null, elapsedSeconds: 1 });
  off.clear();
  tt.equal(silent, '');
  tt.equal(progressWanted({ isTTY: true }, {}), true);
  tt.equal(progressWanted({ isTTY: true }, { CI: 'true' }), false, 'none under CI');
  tt.equal(progressWanted({ isTTY: false }, {}), false, 'none into a pipe');
});

t.test('pre-encoded requests decode, on the node\'s side, to the intended commands', async (tt) => {
  const decode = (buf: Buffer): string[][] =>
    new ClientRequestDecoder().push(buf).map((d) => {
      if (d.kind !== 'argv') throw new Error(`not a command: ${JSON.stringify(d)}`);
      return d.argv;
    });
  const fixed = requestSource({ test: 'set', dataSizeBytes: 3, keyspace: null, readRatio: 0.5, maxBatch: 4 });
  tt.same(decode(fixed.next(1)), [['SET', 'key:__rand_int__', 'xxx']]);
  tt.same(decode(fixed.next(3)), Array.from({ length: 3 }, () => ['SET', 'key:__rand_int__', 'xxx']));

  // A seeded sequence, so the keys are known: 0.5 -> 500 of 1000, 0.0015 -> 1, 0.9999 -> 999.
  const seq = [0.5, 0.0015, 0.9999];
  let i = 0;
  const random = (): number => seq[i++ % seq.length]!;
  const keyed = requestSource({ test: 'get', dataSizeBytes: 3, keyspace: 1000, readRatio: 0.5, maxBatch: 3, random });
  tt.same(decode(keyed.next(3)), [['GET', 'key:000000000500'], ['GET', 'key:000000000001'], ['GET', 'key:000000000999']]);

  const cas = requestSource({ test: 'cas', dataSizeBytes: 5, keyspace: null, readRatio: 0.5, maxBatch: 1 });
  tt.same(decode(cas.next(1)), [['CAS', 'key:__rand_int__', 'xxxxx', 'xxxxx']]);

  // mixed: random() < readRatio picks GET; the key draw follows (keyspace 10).
  const mseq = [0.1, 0.7, 0.9, 0.75];
  let m = 0;
  const mixed = requestSource({ test: 'mixed', dataSizeBytes: 0, keyspace: 10, readRatio: 0.5, maxBatch: 2, random: () => mseq[m++]! });
  tt.same(decode(mixed.next(2)), [['GET', 'key:000000000009'], ['SET', 'key:000000000007', '']], 'picks first, then keys');
});
