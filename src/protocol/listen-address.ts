/**
 * Whether two of cluster.json's listeners (host + the same port) would fight over one socket.
 *
 * Pure string logic, no DNS: config validation must stay synchronous and deterministic. So a name
 * other than `localhost` is compared as written (case-insensitively), even if it resolves to an
 * address listed elsewhere. Three facts are known without asking anyone:
 *   - `localhost`, every 127.x.x.x and `::1` are loopback, treated as one host (stricter than
 *     Linux, which lets 127.0.0.1 and 127.0.0.2 share a port: such a file needs distinct ports);
 *   - `0.0.0.0` and `::` are wildcards: they listen on every address, so they clash with any host;
 *   - one IPv6 address has many spellings (`::1`, `0:0:0:0:0:0:0:1`): compare canonical forms.
 */
import { isIPv4, isIPv6 } from 'node:net';

type HostKind = { kind: 'wildcard' } | { kind: 'loopback' } | { kind: 'other'; canonical: string };

function classify(host: string): HostKind {
  const lower = host.toLowerCase();
  if (isIPv4(lower)) {
    if (lower === '0.0.0.0') return { kind: 'wildcard' };
    if (lower.startsWith('127.')) return { kind: 'loopback' };
    return { kind: 'other', canonical: lower };
  }
  if (isIPv6(lower)) {
    // The WHATWG URL parser prints an IPv6 address in its canonical (RFC 5952) form.
    const canonical = new URL(`http://[${lower}]/`).hostname.slice(1, -1);
    if (canonical === '::') return { kind: 'wildcard' };
    if (canonical === '::1') return { kind: 'loopback' };
    return { kind: 'other', canonical };
  }
  if (lower === 'localhost') return { kind: 'loopback' };
  return { kind: 'other', canonical: lower };
}

/**
 * Null when listeners on `a` and `b` (same port) can coexist; otherwise why they clash, for an
 * error message: '' when they are plainly the same host, else a short explanation.
 */
export function listenClash(a: string, b: string): string | null {
  if (a === b) return '';
  const ka = classify(a);
  const kb = classify(b);
  if (ka.kind === 'wildcard') return `${a} listens on every address`;
  if (kb.kind === 'wildcard') return `${b} listens on every address`;
  if (ka.kind === 'loopback' && kb.kind === 'loopback') return `${a} and ${b} are both this machine's loopback`;
  if (ka.kind === 'other' && kb.kind === 'other' && ka.canonical === kb.canonical) return `${a} and ${b} are the same host`;
  return null;
}

/** `host:port`, with an IPv6 host in brackets so the port stays readable. */
export function showHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
