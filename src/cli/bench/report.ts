/**
 * What `raftkv bench` prints for each test: a short block like redis-benchmark's (the default), one
 * line (`-q`, redis-benchmark -q's shape), or one JSON object per line (`--json`, for scripts), and
 * the suite's table. Pure functions of a TestResult, so they are tested without a cluster.
 */
import type { TestResult } from './engine.js';

/** Milliseconds with 3 decimals: microsecond resolution, what the histogram keeps. */
function ms(x: number): string {
  return x.toFixed(3);
}

function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

export function describeKeys(keyspace: number | null): string {
  return keyspace === null ? 'one key' : `${keyspace} random keys`;
}

/** The default block for one test; `target` names where the load went. */
export function formatReport(r: TestResult, target: string): string {
  const l = r.latencyMs;
  const lines = [
    `====== ${r.test.toUpperCase()} ======`,
    `  ${r.requests} requests completed in ${r.seconds.toFixed(2)} seconds, ${r.errors} errors`,
    `  ${r.clients} parallel clients, pipeline ${r.pipeline}, ${r.dataSizeBytes}-byte values, ${describeKeys(r.keyspace)}, target ${target}`,
    `  throughput: ${r.rps.toFixed(2)} requests per second`,
    `  latency (msec): p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)}`,
  ];
  if (r.firstError !== null) lines.push(`  first error: ${r.firstError}`);
  return `${lines.join('\n')}\n\n`;
}

/** `-q`: `SET: 34364.26 requests per second, p50=1.231 msec` (+ errors when there were any). */
export function formatQuiet(r: TestResult): string {
  const errors = r.errors > 0 ? `, ${r.errors} errors (first: ${r.firstError})` : '';
  return `${r.test.toUpperCase()}: ${r.rps.toFixed(2)} requests per second, p50=${ms(r.latencyMs.p50)} msec${errors}\n`;
}

/** The `--json` object: numbers rounded to what they mean (µs for latencies). */
export function resultJson(r: TestResult): Record<string, unknown> {
  const l = r.latencyMs;
  return {
    test: r.test,
    clients: r.clients,
    pipeline: r.pipeline,
    dataSizeBytes: r.dataSizeBytes,
    keyspace: r.keyspace,
    requests: r.requests,
    errors: r.errors,
    firstError: r.firstError,
    seconds: round(r.seconds, 3),
    rps: round(r.rps, 1),
    latencyMs: { p50: round(l.p50, 3), p90: round(l.p90, 3), p99: round(l.p99, 3), p999: round(l.p999, 3), max: round(l.max, 3) },
  };
}

export function formatJsonLine(r: TestResult): string {
  return `${JSON.stringify(resultJson(r))}\n`;
}

/** Aligned columns: `right[i]` right-aligns column i (numbers), otherwise left. No trailing blanks. */
export function formatColumns(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    header
      .map((_, i) => (right[i] ? (r[i] ?? '').padStart(widths[i]!) : (r[i] ?? '').padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** One suite row: a result and the label it is shown under (`SET`, later `GET (lease)`). */
export interface SuiteRow {
  label: string;
  result: TestResult;
}

/** The suite's one table: test, clients, req/s, p50, p99, max, errors. */
export function formatSuiteTable(rows: readonly SuiteRow[]): string {
  const header = ['test', 'clients', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors'];
  const body = rows.map(({ label, result: r }) => [
    label,
    String(r.clients),
    String(Math.round(r.rps)),
    ms(r.latencyMs.p50),
    ms(r.latencyMs.p99),
    ms(r.latencyMs.max),
    String(r.errors),
  ]);
  return `${formatColumns(header, body, [false, true, true, true, true, true, true])}\n`;
}
