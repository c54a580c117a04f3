/**
 * Redis glob matching (util.c `stringmatchlen`), used by KEYS and CONFIG GET and by the state
 * machine. Same rules, byte for byte:
 *   `*` any run of bytes, `?` exactly one byte, `[abc]` one of, `[^abc]` none of, `[a-z]` a range
 *   (ends may come in either order), `\x` the byte x literally (also inside brackets);
 *   an unterminated `[` class runs to the end of the pattern; a trailing `\` matches itself.
 * Matching works on UTF-8 bytes as Redis does, so `?` matches one byte, not one character: `?`
 * does not match "é" (2 bytes) but `??` does. Patterns and subjects that are pure ASCII skip the
 * UTF-8 encoding (same result, cheaper).
 *
 * One deliberate difference: Redis compares bytes as C `char` (signed on x86), so ranges with ends
 * >= 0x80 behave oddly there; here bytes are unsigned (0..255) and ranges mean what they say.
 */

/** Redis stops recursing past this depth and reports no match (a guard against abusive patterns). */
const MAX_NESTING = 1000;

type Bytes = Uint8Array;

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

function toBytes(s: string): Bytes {
  // latin1 is a 1:1 copy for ASCII, and much cheaper than UTF-8 encoding.
  return Buffer.from(s, NON_ASCII.test(s) ? 'utf8' : 'latin1');
}

function lower(c: number): number {
  // C tolower() in the "C" locale: ASCII only.
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/**
 * Port of stringmatchlen_impl. `skip` is shared across the recursion: once the rest of the
 * pattern after a `*` failed to match at every later position, no earlier `*` can help either.
 */
function matchImpl(p: Bytes, pi: number, s: Bytes, si: number, nocase: boolean, skip: { longer: boolean }, nesting: number): boolean {
  if (nesting > MAX_NESTING) return false;
  const plen = p.length;
  const slen = s.length;
  while (pi < plen && si < slen) {
    switch (p[pi]) {
      case 0x2a /* * */: {
        while (pi + 1 < plen && p[pi + 1] === 0x2a) pi++;
        if (pi + 1 === plen) return true;
        while (si < slen) {
          if (matchImpl(p, pi + 1, s, si, nocase, skip, nesting + 1)) return true;
          if (skip.longer) return false;
          si++;
        }
        skip.longer = true;
        return false;
      }
      case 0x3f /* ? */:
        si++;
        break;
      case 0x5b /* [ */: {
        pi++;
        const not = p[pi] === 0x5e; /* ^ */
        if (not) pi++;
        let match = false;
        const c = s[si]!;
        for (;;) {
          if (p[pi] === 0x5c /* \ */ && plen - pi >= 2) {
            pi++;
            if (p[pi] === c || (nocase && lower(p[pi]!) === lower(c))) match = true;
          } else if (p[pi] === 0x5d /* ] */) {
            break;
          } else if (pi >= plen) {
            // Unterminated class: Redis steps back so the shared `pi++` below lands on the end.
            pi--;
            break;
          } else if (plen - pi >= 3 && p[pi + 1] === 0x2d /* - */) {
            let start = p[pi]!;
            let end = p[pi + 2]!;
            let cc = c;
            if (start > end) [start, end] = [end, start];
            if (nocase) {
              start = lower(start);
              end = lower(end);
              cc = lower(cc);
            }
            pi += 2;
            if (cc >= start && cc <= end) match = true;
          } else if (nocase ? lower(p[pi]!) === lower(c) : p[pi] === c) {
            match = true;
          }
          pi++;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        break;
      }
      default:
        // `\x` compares x literally; a `\` at the very end compares itself.
        if (p[pi] === 0x5c && plen - pi >= 2) pi++;
        if (nocase ? lower(p[pi]!) !== lower(s[si]!) : p[pi] !== s[si]) return false;
        si++;
        break;
    }
    pi++;
    if (si === slen) {
      while (pi < plen && p[pi] === 0x2a) pi++;
      break;
    }
  }
  return pi === plen && si === slen;
}

/** Matches raw bytes (keys that are not valid UTF-8 text, tests). */
export function globMatchBytes(pattern: Uint8Array, subject: Uint8Array, nocase = false): boolean {
  return matchImpl(pattern, 0, subject, 0, nocase, { longer: false }, 0);
}

/** True when `subject` matches the Redis glob `pattern` (compared as UTF-8 bytes). */
export function globMatch(pattern: string, subject: string, nocase = false): boolean {
  if (pattern === '*') return true;
  return globMatchBytes(toBytes(pattern), toBytes(subject), nocase);
}

/**
 * Compiles a pattern once for matching many subjects (KEYS over the whole keyspace). `*` alone
 * short-circuits, as Redis's `allkeys` does.
 */
export function compileGlob(pattern: string, nocase = false): (subject: string) => boolean {
  if (pattern === '*') return () => true;
  const p = toBytes(pattern);
  return (subject: string) => matchImpl(p, 0, toBytes(subject), 0, nocase, { longer: false }, 0);
}
