/**
 * Parses Redis INFO text the way redis-cli and client libraries read it: lines ending in CRLF,
 * `# Name` section headers, `field:value` lines, one empty line between sections. Throws on
 * anything else, so a test that parses a reply also checks its layout.
 */
export function parseInfo(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  if (text === '') return sections;
  if (!text.endsWith('\r\n')) throw new Error(`INFO text does not end with CRLF: ${JSON.stringify(text.slice(-20))}`);
  let current: Map<string, string> | null = null;
  for (const line of text.slice(0, -2).split('\r\n')) {
    if (/[\r\n]/.test(line)) throw new Error(`bare CR or LF inside an INFO line: ${JSON.stringify(line)}`);
    const header = /^# ([A-Z][a-z]*)$/.exec(line);
    const field = /^([a-z][a-z0-9_]*):(.*)$/.exec(line);
    if (header) {
      if (current !== null && current.size > 0) throw new Error(`no empty line before ${JSON.stringify(line)}`);
      sections.set(header[1]!.toLowerCase(), (current = new Map()));
    } else if (field && current) {
      current.set(field[1]!, field[2]!);
    } else if (line === '' && current !== null) {
      current = null; // the empty line that ends a section
    } else {
      throw new Error(`not an INFO line: ${JSON.stringify(line)}`);
    }
  }
  return sections;
}
