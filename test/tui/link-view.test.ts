/** link-view.ts and the supervisor link's fault events: rounding, cell text, plans from rows. */
import t from 'tap';
import { linkCell, linksFromStatus, linkTone, roundAge, sameLinks } from '../../src/tui/link-view.js';
import { faultEvent, planOfRows, type ProcessRow } from '../../src/tui/supervisor-link.js';

t.test('ages round so a healthy link does not redraw every poll', async (t) => {
  t.equal(roundAge(37), 0);
  t.equal(roundAge(51), 100);
  t.equal(roundAge(12_345), 12_000);
  const a = linksFromStatus({ links: { '2': { lastHeardMsAgo: 20, dropTo: false, dropFrom: false } } } as never)!;
  const b = linksFromStatus({ links: { '2': { lastHeardMsAgo: 41, dropTo: false, dropFrom: false } } } as never)!;
  t.ok(sameLinks(a, b));
  t.notOk(sameLinks(a, linksFromStatus({ links: { '2': { lastHeardMsAgo: 41, dropTo: true, dropFrom: false } } } as never)));
  t.equal(linksFromStatus({ links: 'junk' } as never), undefined, 'malformed: no links');
});

t.test('cell text and health', async (t) => {
  t.equal(linkCell({ heardAgoMs: 100, cutIn: false, cutOut: false }), '0.1s');
  t.equal(linkCell({ heardAgoMs: null, cutIn: true, cutOut: true }), 'never cut');
  t.equal(linkCell({ heardAgoMs: 15_000, cutIn: true, cutOut: false }), '15s cut in');
  t.equal(linkCell({ heardAgoMs: 0, cutIn: false, cutOut: true }), '0.0s cut out');
  t.equal(linkTone({ heardAgoMs: 200, cutIn: false, cutOut: false }), 'heard');
  t.equal(linkTone({ heardAgoMs: 200, cutIn: false, cutOut: true }), 'cut');
  t.equal(linkTone({ heardAgoMs: 5000, cutIn: false, cutOut: false }), 'quiet');
  t.equal(linkTone({ heardAgoMs: null, cutIn: false, cutOut: false }), 'quiet');
});

t.test('the plan is rebuilt from the rows; changes become one timeline line', async (t) => {
  const row = (id: number, dropTo: number[], dropFrom: number[], delayMs = 0): [number, ProcessRow] => [
    id,
    { id, state: 'up', pid: id, exitCode: null, exitSignal: null, faults: { dropTo, dropFrom, delayMs } },
  ];
  const healthy = new Map([row(1, [], []), row(2, [], []), row(3, [], [])]);
  const isolated = new Map([row(1, [2], [2]), row(2, [1, 3], [1, 3]), row(3, [2], [2], 300)]);
  t.same(planOfRows(isolated), { cuts: [[1, 2], [2, 1], [2, 3], [3, 2]], slow: { '3': 300 } });
  t.equal(faultEvent(healthy, isolated), 'network faults now: 1<->2, 2<->3, 3 slow 300 ms');
  t.equal(faultEvent(isolated, healthy), 'network healed: no faults');
  t.equal(faultEvent(healthy, new Map(healthy)), null);
});
