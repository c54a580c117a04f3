/**
 * What the raft-tui bin renders: the App, plus the question asked on quit when raft-tui started
 * the cluster itself. The App stays mounted (hidden) while the question shows, so going back with
 * Esc keeps the selection, the shell's history and the timeline.
 *
 * The question's keys are read here, by a handler registered from the start, rather than by the
 * prompt (whose handler would only exist after its first render): a `y` typed right after `q`
 * is not lost. The question is armed one turn of the event loop after it was asked, so the very
 * Ctrl-C that asked it (which the App and this handler both see) does not also answer it.
 */
import { useCallback, useRef, useState } from 'react';
import { Box, useApp, useInput, type Key } from 'ink';
import type { ClusterSource } from '../hooks/cluster-source.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { App } from './App.js';
import { QuitPrompt, quitChoiceFor } from './QuitPrompt.js';

export interface RootProps {
  source: ClusterSource;
  /** True if quitting should ask whether to stop the cluster (raft-tui started it). */
  askOnQuit: boolean;
  /** Called once, just before the app exits, with what to do about the cluster. */
  onExit: (choice: 'stop' | 'leave') => void;
}

export function Root({ source, askOnQuit, onExit }: RootProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const [asking, setAsking] = useState(false);
  /** True while the question is up and answerable. */
  const armed = useRef(false);
  const done = useRef(false);

  const finish = (choice: 'stop' | 'leave'): void => {
    if (done.current) return;
    done.current = true;
    onExit(choice);
    exit();
  };
  const onQuit = (): void => {
    if (!askOnQuit) return finish('leave');
    if (armed.current) return;
    setAsking(true);
    setImmediate(() => (armed.current = true));
  };

  const latest = useRef((_input: string, _key: Key): void => undefined);
  latest.current = (input: string, key: Key): void => {
    if (!armed.current) return;
    const choice = quitChoiceFor(input, key);
    if (choice === 'cancel') {
      armed.current = false;
      setAsking(false);
    } else if (choice !== undefined) {
      finish(choice);
    }
  };
  useInput(useCallback((input: string, key: Key) => latest.current(input, key), []));

  return (
    <>
      <Box display={asking ? 'none' : 'flex'}>
        <App source={source} onQuit={onQuit} />
      </Box>
      {asking && <QuitPrompt nodeCount={source.getSnapshot().nodes.length} width={columns - 1} height={rows - 1} />}
    </>
  );
}
