/**
 * raft-tui's screen: title bar, node table, the selected node's log, the event timeline, the
 * stats bar and the shell, laid out to the terminal (layout.ts). All data comes from the
 * ClusterSource prop; all keys go through keys.ts. The App owns only UI state: focus, selection,
 * whether help is open.
 *
 * No flicker: every part has a fixed height and every line a fixed width for a given terminal
 * size, and the whole is one line shorter than the terminal (see layout.ts), so Ink only ever
 * rewrites lines in place.
 */
import { useCallback, useMemo, useRef } from 'react';
import { Box, useApp, useInput, type Key } from 'ink';
import { resolveKeys, type KeyCommand } from '../keys.js';
import { computeLayout } from '../layout.js';
import { leaderOf, type NodeView } from '../model.js';
import type { ClusterSource } from '../hooks/cluster-source.js';
import { useClusterEvents } from '../hooks/use-cluster-events.js';
import { useClusterSource } from '../hooks/use-cluster-source.js';
import { useEagerState } from '../hooks/use-eager-state.js';
import { useShell } from '../hooks/use-shell.js';
import { useTerminalSize, type TerminalSize } from '../hooks/use-terminal-size.js';
import { replyFromError } from '../shell/reply.js';
import { HelpOverlay } from './HelpOverlay.js';
import { LinkView } from './LinkView.js';
import { NodeDetail } from './NodeDetail.js';
import { NodeTable } from './NodeTable.js';
import { Shell } from './Shell.js';
import { StatsBar } from './StatsBar.js';
import { Timeline } from './Timeline.js';
import { TitleBar } from './TitleBar.js';
import { TooSmall } from './TooSmall.js';

export interface AppProps {
  source: ClusterSource;
  /** Terminal size override (tests); by default the real terminal's, following resizes. */
  size?: TerminalSize;
  /** Wall clock for event times; Date.now by default. */
  now?: () => number;
  /**
   * Called on `q` / Ctrl-C. Default: unmount the app (Ink's exit), after which the bin decides
   * whether to stop a cluster it started.
   */
  onQuit?: () => void;
}

/** The selected node: the one chosen, or the first row when that one is gone (or none was chosen). */
export function effectiveSelection(nodes: readonly NodeView[], selectedId: number | undefined): NodeView | undefined {
  return nodes.find((n) => n.id === selectedId) ?? nodes[0];
}

/** The id `step` rows away from `selectedId`, clamped to the table (no wrap, as in htop). */
export function moveSelection(nodes: readonly NodeView[], selectedId: number | undefined, step: number): number | undefined {
  if (nodes.length === 0) return undefined;
  const at = Math.max(0, nodes.findIndex((n) => n.id === selectedId));
  return nodes[Math.min(nodes.length - 1, Math.max(0, at + step))]!.id;
}

const describe = (e: unknown): string => {
  const r = replyFromError(e);
  return r.type === 'error' ? r.message : String(e);
};

/** `run()`, with a synchronous throw turned into a rejection, so a buggy source cannot crash a key handler. */
function attempt<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run();
  } catch (e) {
    return Promise.reject(e);
  }
}

export function App({ source, size, now = Date.now, onQuit }: AppProps) {
  const { exit } = useApp();
  const snapshot = useClusterSource(source);
  const { columns, rows } = useTerminalSize(size);
  // Eager: the key handler must see a change made by the previous key even before a re-render.
  const [focus, setFocus, focusRef] = useEagerState<'table' | 'shell'>('table');
  const [helpOpen, setHelpOpen, helpOpenRef] = useEagerState(false);
  const [chosenId, setChosenId, chosenIdRef] = useEagerState<number | undefined>(undefined);
  const [showLinks, setShowLinks] = useEagerState(false);
  const { events, log } = useClusterEvents(snapshot.nodes, snapshot.events, now);
  const prompt = `${snapshot.shellTarget ?? 'not connected'}> `;
  const execute = useCallback((argv: readonly string[]) => source.execute(argv), [source]);
  const selectNode = useCallback((id: number) => source.selectShellNode(id), [source]);
  const shell = useShell(execute, selectNode, prompt);

  const nodes = snapshot.nodes;
  const selected = effectiveSelection(nodes, chosenId);
  // What a key acts on: the selection as of the last key, not as of the last render.
  const target = (): NodeView | undefined => effectiveSelection(nodes, chosenIdRef.current);
  const shellLines = shell.output.length;
  const layout = useMemo(() => computeLayout(columns, rows, nodes.length, shellLines), [columns, rows, nodes.length, shellLines]);

  /** Runs a supervisor action, saying on the timeline what was asked and, if so, why it failed. */
  const act = (what: string, run: () => Promise<unknown>): void => {
    log(what, 'action');
    attempt(run).then(
      () => undefined,
      (e: unknown) => log(`${what} failed: ${describe(e)}`, 'error'),
    );
  };

  const dispatch = (cmd: KeyCommand): void => {
    // Too small to show the table: only quitting makes sense (nothing would show what a kill did).
    if (!layout.ok && cmd.action !== 'quit') return;
    switch (cmd.action) {
      case 'quit':
        return onQuit ? onQuit() : exit();
      case 'toggle-focus':
        return setFocus((f) => (f === 'table' ? 'shell' : 'table'));
      case 'focus-table':
        return setFocus('table');
      case 'toggle-help':
        return setHelpOpen((h) => !h);
      case 'close-help':
        return setHelpOpen(false);
      case 'select-prev':
        return setChosenId(moveSelection(nodes, target()?.id, -1));
      case 'select-next':
        return setChosenId(moveSelection(nodes, target()?.id, +1));
      case 'select-number': {
        const node = nodes[(cmd.digit ?? 0) - 1];
        if (node !== undefined) setChosenId(node.id);
        return;
      }
      case 'kill-leader': {
        const seen = leaderOf(nodes);
        log(seen === undefined ? 'kill -9 the leader' : `kill -9 the leader (node ${seen.id})`, 'action');
        attempt(() => source.killLeader()).then(
          (id) => {
            if (id !== seen?.id) log(`killed node ${id}, the leader the supervisor found`, 'action');
          },
          (e: unknown) => log(`kill leader failed: ${describe(e)}`, 'error'),
        );
        return;
      }
      case 'isolate-leader':
        // The supervisor picks the leader; the timeline then shows the cuts it made.
        return act('isolate the leader', () => source.isolate('leader'));
      case 'heal-all':
        return act('heal the network', () => source.heal());
      case 'add-node':
        log('add a node', 'action');
        attempt(() => source.addNode()).then(
          (id) => log(`node ${id} added and promoted to voter`, 'member'),
          (e: unknown) => log(`add a node failed: ${describe(e)}`, 'error'),
        );
        return;
      case 'toggle-links':
        return setShowLinks((v) => !v);
      case 'remove-selected':
      case 'transfer-to-selected':
      case 'isolate-selected':
      case 'kill-selected':
      case 'restart-selected':
      case 'stop-selected': {
        const node = target();
        if (node === undefined) return log('no node selected', 'error');
        const id = node.id;
        if (cmd.action === 'kill-selected') return act(`kill -9 node ${id}`, () => source.kill(id));
        if (cmd.action === 'isolate-selected') return act(`isolate node ${id}`, () => source.isolate(id));
        if (cmd.action === 'remove-selected') return act(`remove node ${id} from the cluster`, () => source.removeNode(id));
        if (cmd.action === 'transfer-to-selected') return act(`move leadership to node ${id}`, () => source.transferLeader(id));
        if (cmd.action === 'restart-selected') return act(`restart node ${id}`, () => source.restart(id));
        return act(`stop node ${id}`, () => source.stop(id));
      }
      default:
        return shell.handle(cmd);
    }
  };

  // Ink re-registers a changed input handler only after the render is committed (in an effect),
  // so a key arriving right after another could meet an old closure. One stable handler calls the
  // latest render's code, which reads focus/help/selection through eager refs.
  const latestKeyHandler = useRef((_input: string, _key: Key): void => undefined);
  latestKeyHandler.current = (input: string, key: Key): void => {
    for (const cmd of resolveKeys(input, key, { focus: focusRef.current, helpOpen: helpOpenRef.current })) dispatch(cmd);
  };
  const onInput = useCallback((input: string, key: Key) => latestKeyHandler.current(input, key), []);
  useInput(onInput);

  if (!layout.ok) {
    return <TooSmall columns={layout.columns} rows={layout.rows} needColumns={layout.needColumns} needRows={layout.needRows} />;
  }
  const { width, height } = layout.layout;
  const l = layout.layout;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <TitleBar nodes={nodes} focus={focus} width={width} />
      {helpOpen ? (
        <HelpOverlay width={width} height={height - 1} />
      ) : (
        <>
          <NodeTable nodes={nodes} selectedId={selected?.id} focused={focus === 'table'} width={width} />
          {showLinks ? (
            <LinkView nodes={nodes} lines={l.detailLines} width={width} />
          ) : (
          <NodeDetail
            node={selected}
            entries={selected === undefined ? [] : (snapshot.entries[selected.id] ?? [])}
            logTail={selected === undefined ? [] : (snapshot.logTails[selected.id] ?? [])}
            lines={l.detailLines}
            width={width}
          />
          )}
          <Timeline events={events} lines={l.timelineLines} width={width} />
          <StatsBar metrics={snapshot.metrics} width={width} />
          <Shell
            prompt={prompt}
            input={shell.input}
            output={shell.output}
            lines={l.shellOutputLines}
            focused={focus === 'shell'}
            pending={shell.pending}
            queued={shell.queued}
            width={width}
          />
        </>
      )}
    </Box>
  );
}
