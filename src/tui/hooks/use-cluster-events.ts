/**
 * The timeline: events derived from successive node lists (leader changes, nodes going down and
 * coming back, elections), plus what the user's own actions did (`log`), merged with the events the
 * source reports itself. Bounded: only the newest `max` local events are kept.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  appendBounded,
  diffNodes,
  mergeEvents,
  type ClusterEvent,
  type ClusterEventKind,
  type NodeView,
} from '../model.js';

export interface ClusterEvents {
  /** Oldest first. */
  events: readonly ClusterEvent[];
  /** Adds an event stamped `now()`; stable across renders. */
  log: (text: string, kind: ClusterEventKind) => void;
}

export function useClusterEvents(
  nodes: readonly NodeView[],
  sourceEvents: readonly ClusterEvent[] | undefined,
  now: () => number,
  max = 100,
): ClusterEvents {
  const [local, setLocal] = useState<readonly ClusterEvent[]>([]);
  // The node list the last diff was taken against; starts as the first one seen, so attaching to a
  // running cluster does not report every node as an event.
  const prevNodes = useRef(nodes);
  const nowRef = useRef(now);
  nowRef.current = now;

  useEffect(() => {
    if (prevNodes.current === nodes) return;
    const found = diffNodes(prevNodes.current, nodes, nowRef.current());
    prevNodes.current = nodes;
    if (found.length > 0) setLocal((l) => appendBounded(l, found, max));
  }, [nodes, max]);

  const log = useCallback(
    (text: string, kind: ClusterEventKind) => {
      setLocal((l) => appendBounded(l, [{ atMs: nowRef.current(), text, kind }], max));
    },
    [max],
  );

  const events = useMemo(() => mergeEvents(sourceEvents ?? [], local), [sourceEvents, local]);
  return { events, log };
}
