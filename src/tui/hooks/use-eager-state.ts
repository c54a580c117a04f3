/**
 * useState whose latest value is readable at once through a ref, before React re-renders.
 *
 * Why: keys arrive faster than renders. After Tab, the next key may be handled before the render
 * that moved the focus to the shell; a handler reading plain state would still see the table and
 * treat `k` as a kill. Handlers read `ref.current`; rendering reads the state as usual.
 * Invariant: after `set(v)` returns, `ref.current === v` (and the state becomes v on next render).
 */
import { useCallback, useRef, useState } from 'react';

export function useEagerState<T>(initial: T): [T, (next: T | ((prev: T) => T)) => void, { readonly current: T }] {
  const [value, setValue] = useState(initial);
  const ref = useRef(initial);
  const set = useCallback((next: T | ((prev: T) => T)) => {
    ref.current = typeof next === 'function' ? (next as (prev: T) => T)(ref.current) : next;
    setValue(ref.current);
  }, []);
  return [value, set, ref];
}
