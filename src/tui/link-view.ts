/**
 * The link view's data: which peers each node hears and how long ago it last heard them, from the
 * `links` every node reports in its status (its fault layer records the last message from each
 * peer), and the text of each cell. Pure.
 *
 * Ages are rounded (to 0.1 s below 10 s, whole seconds above) so that a healthy link, heard every
 * heartbeat, looks the same poll after poll and the screen is not redrawn for nothing.
 */
import type { NodeStatusValue } from '../protocol/client-requests.js';
import type { LinkView, NodeView } from './model.js';

export function roundAge(ms: number): number {
  return ms < 10_000 ? Math.round(ms / 100) * 100 : Math.round(ms / 1000) * 1000;
}

/** The `links` field of a node's status, checked and rounded; undefined if absent or malformed. */
export function linksFromStatus(s: NodeStatusValue): Record<string, LinkView> | undefined {
  const raw = s.links;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const out: Record<string, LinkView> = {};
  for (const [id, l] of Object.entries(raw as Record<string, Record<string, unknown>>)) {
    if (typeof l !== 'object' || l === null) continue;
    const ago = l.lastHeardMsAgo;
    out[id] = { heardAgoMs: typeof ago === 'number' ? roundAge(ago) : null, cutOut: l.dropTo === true, cutIn: l.dropFrom === true };
  }
  return out;
}

export function sameLinks(a: NodeView['links'], b: NodeView['links']): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => {
    const x = a[k]!;
    const y = b[k];
    return y !== undefined && x.heardAgoMs === y.heardAgoMs && x.cutIn === y.cutIn && x.cutOut === y.cutOut;
  });
}

/** `0.1s`, `12s`, `never`; with `cut` when both ways are cut, `cut in` / `cut out` for one. */
export function linkCell(l: LinkView | undefined): string {
  if (l === undefined) return '?';
  const age = l.heardAgoMs === null ? 'never' : l.heardAgoMs < 10_000 ? `${(l.heardAgoMs / 1000).toFixed(1)}s` : `${Math.round(l.heardAgoMs / 1000)}s`;
  const cut = l.cutIn && l.cutOut ? ' cut' : l.cutIn ? ' cut in' : l.cutOut ? ' cut out' : '';
  return age + cut;
}

/**
 * How a cell is coloured: `cut` (an injected fault), `heard` (within a second), else `quiet`.
 * Quiet is not an alarm by itself: Raft's followers never message each other.
 */
export function linkTone(l: LinkView | undefined): 'cut' | 'heard' | 'quiet' {
  if (l !== undefined && (l.cutIn || l.cutOut)) return 'cut';
  return l !== undefined && l.heardAgoMs !== null && l.heardAgoMs <= 1000 ? 'heard' : 'quiet';
}
