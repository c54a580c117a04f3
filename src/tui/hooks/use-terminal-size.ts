/**
 * The terminal's size in character cells, updated on resize. `override` (tests, or a caller that
 * knows better) wins. Streams that do not know their size (pipes, test doubles) count as 80×24,
 * the classic default.
 */
import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

export interface TerminalSize {
  columns: number;
  rows: number;
}

export const DEFAULT_TERMINAL_SIZE: TerminalSize = Object.freeze({ columns: 80, rows: 24 });

function measure(stdout: { columns?: number; rows?: number }): TerminalSize {
  return {
    columns: stdout.columns && stdout.columns > 0 ? stdout.columns : DEFAULT_TERMINAL_SIZE.columns,
    rows: stdout.rows && stdout.rows > 0 ? stdout.rows : DEFAULT_TERMINAL_SIZE.rows,
  };
}

export function useTerminalSize(override?: TerminalSize): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState<TerminalSize>(() => measure(stdout));
  useEffect(() => {
    const onResize = (): void => {
      const next = measure(stdout);
      setSize((prev) => (prev.columns === next.columns && prev.rows === next.rows ? prev : next));
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return override ?? size;
}
