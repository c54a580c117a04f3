/**
 * The shell's state: the line being typed, its history, the output so far, and the requests in
 * flight. Key commands come in already resolved (keys.ts); what a line means is decided by
 * planLine (pure); only `execute` touches the cluster.
 *
 * One request at a time, like redis-cli: a line submitted while a request is in flight waits in a
 * bounded queue (as a terminal buffers what is typed ahead, or a pasted block of commands) and
 * runs, echoed with its prompt, when the one before it has answered. The source guarantees every
 * request settles within its deadline, so the queue always drains.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { KeyCommand } from '../keys.js';
import { appendBounded } from '../model.js';
import { planLine, type ShellLine } from '../shell/commands.js';
import { formatReplyLines } from '../shell/format-reply.js';
import { ShellHistory } from '../shell/history.js';
import { replyFromError, type ShellReply } from '../shell/reply.js';

/** Lines that may wait behind a slow request; more are refused with an error line. */
export const MAX_QUEUED_LINES = 100;

export interface ShellController {
  /** The line being typed. */
  input: string;
  /** Output lines, oldest first, at most `maxLines`. */
  output: readonly ShellLine[];
  /** A request is in flight. */
  pending: boolean;
  /** Lines waiting for it. */
  queued: number;
  /** Applies one `shell-*` key command; other commands are ignored. Stable across renders. */
  handle: (cmd: KeyCommand) => void;
}

export function useShell(
  execute: (argv: readonly string[]) => Promise<ShellReply>,
  /** `:node N`: null when switched, else why not. */
  selectNode: (id: number) => string | null,
  prompt: string,
  maxLines = 500,
): ShellController {
  const [input, setInput] = useState('');
  const [output, setOutput] = useState<readonly ShellLine[]>([]);
  const [pending, setPending] = useState(false);
  const [queued, setQueued] = useState(0);
  const history = useRef(new ShellHistory());
  // Handlers read the latest values through this ref, so they stay stable functions; fields that
  // handlers change (input, busy) are written here at once, before React re-renders.
  const latest = useRef({ input, prompt, execute, selectNode, busy: false });
  latest.current.prompt = prompt;
  latest.current.execute = execute;
  latest.current.selectNode = selectNode;
  const queue = useRef<string[]>([]);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const print = useCallback(
    (lines: ShellLine[]) => setOutput((o) => appendBounded(o, lines, maxLines)),
    [maxLines],
  );

  /** Runs queued lines until one starts a request (or the queue is empty). */
  const drain = useCallback(() => {
    while (!latest.current.busy && queue.current.length > 0) {
      const line = queue.current.shift()!;
      setQueued(queue.current.length);
      const plan = planLine(line);
      if (plan.kind === 'clear') {
        setOutput([]);
        continue;
      }
      const echo: ShellLine = { text: latest.current.prompt + line, tone: 'input' };
      if (plan.kind === 'none') {
        print([echo]);
        continue;
      }
      if (plan.kind === 'print') {
        print([echo, ...plan.lines]);
        continue;
      }
      if (plan.kind === 'node') {
        const refused = latest.current.selectNode(plan.id);
        print([echo, refused === null ? { text: `talking to node ${plan.id}`, tone: 'info' } : { text: `(error) ERR ${refused}`, tone: 'error' }]);
        continue;
      }
      print([echo]);
      latest.current.busy = true;
      setPending(true);
      const settle = (reply: ShellReply): void => {
        if (!mounted.current) return;
        const tone = reply.type === 'error' ? 'error' : 'reply';
        print(formatReplyLines(reply).map((text) => ({ text, tone })));
        latest.current.busy = false;
        setPending(false);
        drain();
      };
      let request: Promise<ShellReply>;
      try {
        request = latest.current.execute(plan.argv);
      } catch (e) {
        request = Promise.reject(e);
      }
      request.then(settle, (e: unknown) => settle(replyFromError(e)));
    }
  }, [print]);

  const submit = useCallback(() => {
    const line = latest.current.input;
    history.current.push(line);
    latest.current.input = '';
    setInput('');
    if (queue.current.length >= MAX_QUEUED_LINES) {
      print([{ text: `(error) ERR too many commands waiting (${MAX_QUEUED_LINES}); dropped: ${line}`, tone: 'error' }]);
      return;
    }
    queue.current.push(line);
    setQueued(queue.current.length);
    drain();
  }, [drain, print]);

  const handle = useCallback(
    (cmd: KeyCommand) => {
      const current = latest.current.input;
      const set = (next: string): void => {
        latest.current.input = next;
        setInput(next);
      };
      switch (cmd.action) {
        case 'shell-submit':
          return submit();
        case 'shell-type':
          return set(current + (cmd.text ?? ''));
        case 'shell-backspace':
          // Drop one code point, not half a surrogate pair.
          return set(Array.from(current).slice(0, -1).join(''));
        case 'shell-clear-line':
          history.current.reset();
          return set('');
        case 'shell-clear-screen':
          return setOutput([]);
        case 'shell-history-prev':
          return set(history.current.up(current));
        case 'shell-history-next':
          return set(history.current.down(current));
        default:
          return;
      }
    },
    [submit],
  );

  return { input, output, pending, queued, handle };
}
