import t from 'tap';
import { parseSimArgs } from './cli-args.js';

t.test('valid command lines (--mode core)', async (t) => {
  t.match(parseSimArgs(['--mode', 'core', '--seeds', '10']), { start: 1, count: 10, nodes: [3, 5], trace: false });
  t.match(parseSimArgs(['--mode', 'core', '--seeds', '5', '--start', '100', '--nodes', '5', '--ticks', '50']), { start: 100, count: 5, nodes: [5], chaosTicks: 50 });
  t.match(parseSimArgs(['--mode', 'core', '--seed', '42', '--trace']), { start: 42, count: 1, nodes: [3], trace: true });
  t.match(parseSimArgs(['--mode', 'core', '--seed', '42', '--nodes', '5']), { nodes: [5] });
  t.match(parseSimArgs(['--mode', 'core', '--seeds', '1', '--nodes', 'both', '--verbose']), { nodes: [3, 5], verbose: true });
  t.match(parseSimArgs(['--mode', 'core', '--seed', '1', '--sabotage', 'send-before-persist']), { sabotage: 'send-before-persist', readModes: ['readindex'] });
  t.match(parseSimArgs(['--mode', 'core', '--seeds', '10']), { readModes: ['readindex', 'lease'] }, 'a range runs both read modes by default');
  t.match(parseSimArgs(['--mode', 'core', '--seeds', '10', '--read-mode', 'lease']), { readModes: ['lease'] });
  t.match(parseSimArgs(['--mode', 'core', '--seeds', '10', '--read-mode', 'both']), { readModes: ['readindex', 'lease'] });
  t.match(parseSimArgs(['--mode', 'core', '--seed', '4']), { readModes: ['readindex'] }, 'a replay is one run: readindex unless told');
  t.match(parseSimArgs(['--mode', 'core', '--seed', '4', '--read-mode', 'lease', '--trace']), { readModes: ['lease'], trace: true });
  t.match(parseSimArgs(['--mode', 'core', '--seeds', '10', '--sabotage', 'long-lease']), { sabotage: 'long-lease', readModes: ['lease'] });
  t.match(parseSimArgs(['--mode', 'core', '--seed', '3', '--sabotage', 'long-lease', '--read-mode', 'lease']), { readModes: ['lease'] });
});

t.test('--mode real: one run per seed, nodes and read mode drawn unless given', async (t) => {
  t.match(parseSimArgs(['--mode', 'real', '--seeds', '10']), { mode: 'real', start: 1, count: 10, real: { nodes: null, readMode: null, chaosMs: null, sabotage: null } });
  t.match(parseSimArgs(['--mode', 'real', '--seed', '7', '--nodes', '5', '--read-mode', 'lease', '--chaos-ms', '500', '--trace']), {
    mode: 'real', start: 7, count: 1, trace: true, real: { nodes: 5, readMode: 'lease', chaosMs: 500 },
  });
  t.match(parseSimArgs(['--seeds', '50', '--sabotage', 'stale-read']), { mode: 'real', sabotage: null, real: { sabotage: 'stale-read' } }, 'its sabotage modes imply it');
  t.match(parseSimArgs(['--mode', 'real', '--seeds', '5', '--sabotage', 'double-apply']), { real: { sabotage: 'double-apply' } });
  t.match(parseSimArgs(['--mode', 'core', '--seeds', '5']), { mode: 'core', nodes: [3, 5] });
});

t.test('the real node code is the default; an option only the core has implies --mode core', async (t) => {
  t.match(parseSimArgs(['--seeds', '5000']), { mode: 'real', start: 1, count: 5000, real: { nodes: null, readMode: null } });
  t.match(parseSimArgs(['--seed', '42', '--trace']), { mode: 'real', start: 42, count: 1, trace: true });
  t.match(parseSimArgs(['--seeds', '10', '--nodes', '5', '--read-mode', 'lease', '--chaos-ms', '500']), { mode: 'real', real: { nodes: 5, readMode: 'lease', chaosMs: 500 } });
  for (const argv of [['--ticks', '50'], ['--membership', 'fixed'], ['--membership', 'churn'], ['--nodes', 'both'], ['--read-mode', 'both'], ['--sabotage', 'long-lease'], ['--sabotage', 'send-before-persist']]) {
    t.match(parseSimArgs(['--seeds', '3', ...argv]), { mode: 'core' }, `${argv.join(' ')} implies --mode core`);
  }
  t.match(parseSimArgs(['--seeds', '3', '--nodes', '3']), { mode: 'real', real: { nodes: 3 } }, 'one node count is fine for either');
});

t.test('garbage is refused with SIM_BAD_ARGS', async (t) => {
  const bad: string[][] = [
    [],
    ['--seeds'],
    ['--seeds', '0'],
    ['--seeds', '-1'],
    ['--seeds', '1e3'],
    ['--seeds', '12abc'],
    ['--seeds', '99999999999'],
    ['--seed', 'x'],
    ['--seed', '4294967296'],
    ['--seeds', '2', '--start', '4294967295'],
    ['--seeds', '1', '--nodes', '4'],
    ['--seeds', '1', '--nodes'],
    ['--seeds', '1', '--trace'],
    ['--seed', '1', '--seeds', '2'],
    ['--seed', '1', '--start', '2'],
    ['--seeds', '1', '--bogus'],
    ['\u0000\uffff'],
    ['--seed', '1', '--sabotage', 'rm -rf'],
    ['--seed', '1', '--sabotage'],
    ['--seeds', '1', '--read-mode'],
    ['--seeds', '1', '--read-mode', 'Lease'],
    ['--seeds', '1', '--read-mode', 'stale'],
    ['--seed', '1', '--read-mode', 'both'],
    ['--seeds', '1', '--sabotage', 'long-lease', '--read-mode', 'readindex'],
    ['--seeds', '1', '--sabotage', 'long-lease', '--read-mode', 'both'],
    ['--seeds', '1', '--mode'],
    ['--seeds', '1', '--mode', 'REAL'],
    ['--mode', 'real'],
    ['--mode', 'real', '--seeds', '1', '--nodes', 'both'],
    ['--mode', 'real', '--seeds', '1', '--read-mode', 'both'],
    ['--mode', 'real', '--seeds', '1', '--ticks', '50'],
    ['--mode', 'real', '--seeds', '1', '--trace'],
    ['--mode', 'real', '--seed', '1', '--start', '3'],
    ['--mode', 'real', '--seeds', '1', '--sabotage', 'long-lease'],
    ['--mode', 'core', '--seeds', '1', '--sabotage', 'stale-read'],
    ['--mode', 'core', '--seeds', '1', '--chaos-ms', '100'],
    ['--seeds', '1', '--ticks', '5', '--chaos-ms', '100'],
    ['--mode', 'real', '--seeds', '1', '--chaos-ms', '-5'],
  ];
  for (const argv of bad) t.throws(() => parseSimArgs(argv), { code: 'SIM_BAD_ARGS' }, JSON.stringify(argv));
});
