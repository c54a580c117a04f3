/**
 * The partition keys of raft-tui in a real terminal (tmux) on a real cluster it starts: `l` shows
 * the link view, `I` isolates the leader (the timeline shows the cuts, the link view shows them,
 * another node becomes leader), `h` heals (the timeline says so, the cuts leave the link view),
 * then q, y stops the cluster.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePorts } from '../../src/cluster/free-ports.js';
import { waitFor } from '../lib/wait-for.js';
import { requireTools } from '../lib/require-tool.js';
import { BIN, leaderIn, pidsMentioning, tempDir, Terminal } from './tmux-terminal.js';

const tmuxMissing = requireTools('tmux');

/** The link view's rows: from its title line to the events rule; '' while it is not shown. */
function linkPane(screen: string): string {
  const lines = screen.split('\n');
  const at = lines.findIndex((l) => l.includes('links: time since'));
  if (at === -1) return '';
  const end = lines.findIndex((l, i) => i > at && l.startsWith('── events'));
  return lines.slice(at + 1, end === -1 ? undefined : end).join('\n');
}

t.test('raft-tui in tmux: l, I (isolate leader), h (heal)', { skip: tmuxMissing }, async (t) => {
  const dir = tempDir(t);
  const ports = await findFreePorts(6);
  const nodes = [1, 2, 3].map((id, i) => ({ id, host: '127.0.0.1', port: ports[2 * i]!, peerPort: ports[2 * i + 1]! }));
  const config = join(dir, 'cluster.json');
  writeFileSync(config, JSON.stringify({ nodes, electionTimeoutMs: { min: 400, max: 800 }, heartbeatIntervalMs: 50, dataDir: 'data', logDir: 'logs' }));
  const term = new Terminal(t, dir, `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config ${JSON.stringify(config)}`);

  const first = await term.see('a leader on the table', leaderIn, 30_000);
  term.press('l');
  await term.see('the link view, every link heard', (s) => {
    const pane = linkPane(s);
    // The leader hears every follower; followers hear the leader (not each other: Raft's followers never talk).
    const leaderRow = pane.split('\n').find((l) => l.startsWith(`node ${first.id} leader`));
    return /hears 1\s+hears 2\s+hears 3/.test(pane) && leaderRow !== undefined && !/never|cut/.test(leaderRow) && !/cut/.test(pane);
  }, 15_000);

  term.press('I');
  await term.see('the cuts on the timeline', (s) => s.includes('isolate the leader') && /network faults now: .*<->/.test(s), 15_000);
  await term.see('the cuts in the link view', (s) => new RegExp(`node ${first.id} [a-z-]+\\s+.*cut`).test(linkPane(s)), 15_000);
  const second = await term.see('another leader', (s) => {
    const l = leaderIn(s);
    return l !== undefined && l.id !== first.id ? l : undefined;
  }, 30_000);
  t.ok(second.term > first.term, `node ${second.id} leads term ${second.term} while node ${first.id} is cut off`);

  term.press('h');
  await term.see('the heal on the timeline', (s) => s.includes('network healed: no faults'), 15_000);
  await term.see('no cuts left in the link view', (s) => /node 3/.test(linkPane(s)) && !/cut/.test(linkPane(s)), 15_000);
  t.pass('l, I and h did what the help says');

  term.press('q');
  await term.see('the question', (s) => s.includes('Stop the cluster? (y/n)'), 10_000);
  term.press('y');
  await term.see('raft-tui gone', (s) => s.includes('raft-tui exited with 0'), 30_000);
  await waitFor('supervisor and nodes gone', () => pidsMentioning(dir, 'raftkv.js').length === 0, 20_000, 100);
});
