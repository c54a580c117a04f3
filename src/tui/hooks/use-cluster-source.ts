/**
 * The current ClusterSnapshot of `source`, re-rendering whenever it changes. Uses React's external
 * store hook, so a render never sees two different snapshots (no tearing) and unsubscribing on
 * unmount is automatic.
 */
import { useCallback, useSyncExternalStore } from 'react';
import type { ClusterSnapshot } from '../model.js';
import type { ClusterSource } from './cluster-source.js';

export function useClusterSource(source: ClusterSource): ClusterSnapshot {
  // Bound per source: class methods lose `this` when passed bare, and a new function identity on
  // every render would make React resubscribe every render.
  const subscribe = useCallback((listener: () => void) => source.subscribe(listener), [source]);
  const getSnapshot = useCallback(() => source.getSnapshot(), [source]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
