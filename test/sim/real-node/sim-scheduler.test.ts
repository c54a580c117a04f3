/** The simulated time line: a paused owner runs nothing until resumed, then catches up once. */
import t from 'tap';
import { SimScheduler } from './sim-scheduler.js';

t.test('a paused owner\'s timers and deferred callbacks wait; an interval fires once on resume, not once per missed period', async (t) => {
  const sched = new SimScheduler();
  const clock = sched.clockFor(7);
  const ran: string[] = [];
  clock.setInterval(() => ran.push(`tick@${sched.now}`), 10);
  sched.after(15, () => ran.push(`world@${sched.now}`));
  sched.now = 10;
  sched.fireDue();
  sched.pause(7);
  clock.defer(() => ran.push(`deferred@${sched.now}`));
  sched.runDeferred();
  for (sched.now = 11; sched.now <= 55; sched.now++) sched.fireDue();
  t.same(ran, ['tick@10', 'world@15'], 'only the world ran while owner 7 was paused');
  sched.now = 55;
  sched.resume(7);
  sched.runDeferred();
  sched.fireDue();
  for (sched.now = 56; sched.now <= 70; sched.now++) sched.fireDue();
  t.same(ran, ['tick@10', 'world@15', 'deferred@55', 'tick@55', 'tick@65'], 'held work runs on resume, the interval once, then on its period');
});

t.test('a crash drops a paused owner\'s held work', async (t) => {
  const sched = new SimScheduler();
  const clock = sched.clockFor(3);
  let ran = 0;
  sched.pause(3);
  clock.defer(() => ran++);
  sched.runDeferred();
  sched.dropOwner(3);
  sched.resume(3);
  sched.runDeferred();
  t.equal(ran, 0);
  t.equal(sched.pendingDeferred, 0);
});
