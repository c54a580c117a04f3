/**
 * One-line descriptions of messages and entries for simulator traces. Kept short and stable:
 * determinism tests hash the trace, so any change here changes every trace hash (but never the
 * run itself).
 */
import type { Entry, Message } from '../../src/protocol/raft-messages.js';

function entries(es: readonly Entry[]): string {
  if (es.length === 0) return '[]';
  const first = es[0]!;
  const last = es[es.length - 1]!;
  return es.length === 1 ? `[${first.index}/${first.term}]` : `[${first.index}/${first.term}..${last.index}/${last.term}]`;
}

export function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} t${m.term}`;
  switch (m.type) {
    case 'vote':
      return `${head}${m.pre ? ' pre' : ''} last=${m.lastLogIndex}/${m.lastLogTerm}`;
    case 'voteResp':
      return `${head}${m.pre ? ' pre' : ''} ${m.granted ? 'granted' : 'rejected'}`;
    case 'append':
      return `${head} prev=${m.prevLogIndex}/${m.prevLogTerm} ${entries(m.entries)} c=${m.commit}`;
    case 'appendResp':
      return `${head} ${m.success ? 'ok' : 'reject'} i=${m.index}${m.success ? '' : ` hint=${m.hintIndex}/${m.hintTerm}`}`;
    case 'heartbeat':
      return `${head} c=${m.commit}${m.ctx !== undefined ? ` ctx=${m.ctx}` : ''}`;
    case 'heartbeatResp':
      return `${head}${m.ctx !== undefined ? ` ctx=${m.ctx}` : ''}`;
    case 'propose':
      return `${head} n=${m.data.length}`;
    case 'readIndex':
      return `${head} ctx=${m.ctx}`;
    case 'readIndexResp':
      return `${head} ctx=${m.ctx} i=${m.index}`;
    case 'timeoutNow':
      return head;
    case 'snapshot':
      return `${head} snap=${m.index}/${m.snapshotTerm}`;
    case 'snapshotChunk':
      return `${head} snap=${m.index}/${m.snapshotTerm} @${m.offset}${m.done ? ' done' : ''}`;
    default:
      return `${head} ?`;
  }
}

export function describeEntries(es: readonly Entry[]): string {
  return entries(es);
}
