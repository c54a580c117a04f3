/**
 * Prints replies the way interactive redis-cli does (its `cliFormatReplyTTY`):
 *   OK                     simple string (status)
 *   "v"                    bulk string, quoted, non-printable bytes escaped (`sdscatrepr`)
 *   (nil)                  nil bulk
 *   (integer) 1
 *   (error) ERR …
 *   1) "a"                 arrays: numbered, numbers right-aligned to the widest,
 *   2) "b"                 nested arrays indented under their number
 *   (empty array)
 *   (nil)                  null array, too
 */
import type { ShellReply } from './reply.js';

/**
 * A string as Redis's `sdscatrepr` prints it: in double quotes, `\\ \" \n \r \t \a \b` escaped,
 * every other byte outside 0x20–0x7e as `\xHH` (lower-case hex). Works on the UTF-8 bytes, so
 * `€` prints as `"\xe2\x82\xac"`, exactly like redis-cli.
 */
export function quoteBulk(value: string): string {
  let out = '"';
  for (const b of Buffer.from(value, 'utf8')) {
    switch (b) {
      case 0x5c: out += '\\\\'; break;
      case 0x22: out += '\\"'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x07: out += '\\a'; break;
      case 0x08: out += '\\b'; break;
      default:
        out += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    }
  }
  return out + '"';
}

/** The reply as redis-cli prints it, without a trailing newline. */
export function formatReply(reply: ShellReply): string {
  return formatWithPrefix(reply, '').replace(/\n$/, '');
}

/** The same, one string per screen line. */
export function formatReplyLines(reply: ShellReply): string[] {
  return formatReply(reply).split('\n');
}

// `prefix` is the indentation of continuation lines of an enclosing array (redis-cli's algorithm).
function formatWithPrefix(reply: ShellReply, prefix: string): string {
  switch (reply.type) {
    case 'simple':
      return reply.value + '\n';
    case 'error':
      return `(error) ${reply.message}\n`;
    case 'integer':
      return `(integer) ${reply.value}\n`;
    case 'bulk':
      return reply.value === null ? '(nil)\n' : quoteBulk(reply.value) + '\n';
    case 'array': {
      if (reply.items === null) return '(nil)\n';
      const n = reply.items.length;
      if (n === 0) return '(empty array)\n';
      const idxLen = String(n).length;
      const childPrefix = prefix + ' '.repeat(idxLen + 2);
      let out = '';
      reply.items.forEach((item, i) => {
        // The first element's number follows whatever the parent already printed on this line.
        out += (i === 0 ? '' : prefix) + `${String(i + 1).padStart(idxLen)}) `;
        out += formatWithPrefix(item, childPrefix);
      });
      return out;
    }
  }
}
