/**
 * Colours, in one place, so the table, the detail pane and the timeline agree: the leader is
 * green everywhere, a dead node red everywhere. Names are Ink/chalk colour names.
 */
import type { ClusterEventKind, NodeRole, NodeState } from './model.js';

export const ROLE_COLOR: Record<NodeRole, string> = {
  leader: 'green',
  follower: 'cyan',
  candidate: 'yellow',
  'pre-candidate': 'magenta',
};

export const STATE_COLOR: Record<NodeState, string> = {
  up: 'green',
  starting: 'yellow',
  down: 'red',
  unreachable: 'red',
  stopped: 'gray',
};

export const EVENT_COLOR: Record<ClusterEventKind, string> = {
  leader: 'green',
  election: 'yellow',
  down: 'red',
  up: 'green',
  action: 'cyan',
  error: 'red',
  info: 'white',
  member: 'magenta',
};

/** Markers in the table's first two characters. */
export const SELECTED_MARKER = '>';
export const LEADER_MARKER = '*';
