/**
 * raft-tui in a real terminal for e2e tests: tmux runs the compiled bin at a fixed size (CI has no
 * terminal of its own), send-keys types, capture-pane reads the screen. Each Terminal runs its own
 * tmux server (-L), killed in teardown together with every process whose command line names the
 * test's temp folder (supervisor and nodes), even if the test fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../lib/wait-for.js';

export const BIN = fileURLToPath(new URL('../../src/tui/main.js', import.meta.url));
export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

export type Teardown = { teardown(fn: () => unknown): void; comment(...args: unknown[]): void };

/** Pids of processes whose command line contains every one of `texts` (the test's unique temp folder, …). */
export function pidsMentioning(...texts: string[]): number[] {
  const out = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .filter((line) => texts.every((text) => line.includes(text)))
    .map((line) => Number(line.trim().split(/\s+/, 1)[0]))
    .filter((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid);
}

export class Terminal {
  readonly server: string;
  constructor(
    t: Teardown,
    readonly dir: string,
    command: string,
  ) {
    this.server = `raftkv-tui-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    t.teardown(() => {
      spawnSync('tmux', ['-L', this.server, 'kill-server']);
      // The supervisor and nodes live in their own process groups: find them by the folder.
      for (const pid of pidsMentioning(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
    // The shell line keeps the pane after raft-tui exits, so its exit code can be read.
    this.tmux('new-session', '-d', '-s', 'tui', '-x', '160', '-y', '50', `${command}; echo "raft-tui exited with $?"; sleep 120`);
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.server, ...args], { encoding: 'utf8' });
  }

  screen(): string {
    try {
      return this.tmux('capture-pane', '-p', '-t', 'tui');
    } catch {
      return '';
    }
  }

  /** Presses named keys (K, Enter, Tab, Escape, …), one tmux call each. */
  press(...keys: string[]): void {
    for (const k of keys) this.tmux('send-keys', '-t', 'tui', k);
  }

  /** Types text literally. */
  type(text: string): void {
    this.tmux('send-keys', '-t', 'tui', '-l', text);
  }

  /** Waits until the screen matches; the error shows the last screen. */
  async see<T>(what: string, probe: (screen: string) => T | undefined | null | false, timeoutMs: number): Promise<T> {
    try {
      return (await waitFor(what, () => probe(this.screen()), timeoutMs, 100)) as T;
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- screen ---\n${this.screen()}`);
    }
  }
}

export function tempDir(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-tui-'));
  t.teardown(() => {
    if (process.env.KEEP_E2E_DIR) t.comment(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** The leader and its term from the header line (`leader: node 3 (term 2)`). */
export const leaderIn = (screen: string): { id: number; term: number } | undefined => {
  const m = /leader: node (\d+) \(term (\d+)\)/.exec(screen.split('\n')[0] ?? '');
  return m ? { id: Number(m[1]), term: Number(m[2]) } : undefined;
};

