/**
 * The bench's reply reader: every reply shape the nodes send, split at every byte boundary, the
 * error count and first message, and a broken stream refused.
 */
import t from 'tap';
import { ReplyCounter, type ErrorTally } from '../../src/cli/bench/reply-counter.js';
import { RaftKvError } from '../../src/protocol/errors.js';

/** Replies as the node sends them, and whether each is an error. */
const REPLIES: Array<[string, boolean]> = [
  ['+OK\r\n', false],
  ['$3\r\nxxx\r\n', false],
  ['$-1\r\n', false],
  ['$0\r\n\r\n', false],
  [':1\r\n', false],
  [':0\r\n', false],
  ['-NOT_LEADER node 2 is not the leader\r\n', true],
  ['$12\r\nhas\r\nCRLF in\r\n', false],
  ['*2\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n', false],
  ['*0\r\n', false],
  ['*-1\r\n', false],
  ['-ERR something else\r\n', true],
  ['+PONG\r\n', false],
];
const STREAM = REPLIES.map(([r]) => r).join('');
const ERRORS = REPLIES.filter(([, e]) => e).length;

function feedAll(chunks: Buffer[]): { replies: number; tally: ErrorTally } {
  const tally: ErrorTally = { count: 0, first: null };
  const counter = new ReplyCounter(tally);
  let replies = 0;
  for (const c of chunks) replies += counter.feed(c);
  return { replies, tally };
}

t.test('whole stream in one chunk', async (tt) => {
  const { replies, tally } = feedAll([Buffer.from(STREAM)]);
  tt.equal(replies, REPLIES.length);
  tt.same(tally, { count: ERRORS, first: 'NOT_LEADER node 2 is not the leader' });
});

t.test('split at every byte boundary (two chunks), and byte by byte', async (tt) => {
  const all = Buffer.from(STREAM);
  for (let cut = 1; cut < all.length; cut++) {
    const { replies, tally } = feedAll([all.subarray(0, cut), all.subarray(cut)]);
    if (replies !== REPLIES.length || tally.count !== ERRORS || tally.first !== 'NOT_LEADER node 2 is not the leader') {
      tt.fail(`cut at ${cut}: ${replies} replies, ${tally.count} errors, first ${tally.first}`);
      return;
    }
  }
  const bytes = [...all].map((b) => Buffer.from([b]));
  const { replies, tally } = feedAll(bytes);
  tt.equal(replies, REPLIES.length, 'byte by byte');
  tt.equal(tally.first, 'NOT_LEADER node 2 is not the leader');
});

t.test('feed returns the replies each chunk completes', async (tt) => {
  const tally: ErrorTally = { count: 0, first: null };
  const c = new ReplyCounter(tally);
  tt.equal(c.feed(Buffer.from('+OK\r\n+O')), 1);
  tt.equal(c.feed(Buffer.from('K\r')), 0);
  tt.equal(c.feed(Buffer.from('\n$5\r\nhel')), 1);
  tt.equal(c.feed(Buffer.from('lo\r\n:1\r\n-ERR x\r\n')), 3);
  tt.same(tally, { count: 1, first: 'ERR x' });
  tt.equal(c.feed(Buffer.alloc(0)), 0);
});

t.test('the caller may reuse a chunk\'s memory after feed (the bench reads into one shared buffer)', async (tt) => {
  const tally: ErrorTally = { count: 0, first: null };
  const c = new ReplyCounter(tally);
  const shared = Buffer.alloc(16);
  const n1 = shared.write('-ERR bro');
  tt.equal(c.feed(shared.subarray(0, n1)), 0);
  shared.fill(0x3f); // the next read overwrites the memory
  const n2 = shared.write('ken\r\n+OK\r\n');
  tt.equal(c.feed(shared.subarray(0, n2)), 2);
  tt.same(tally, { count: 1, first: 'ERR broken' });
});

t.test('a large bulk split over many chunks', async (tt) => {
  const body = 'v'.repeat(100_000);
  const all = Buffer.from(`$${body.length}\r\n${body}\r\n+OK\r\n`);
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += 1000) chunks.push(all.subarray(i, i + 1000));
  tt.equal(feedAll(chunks).replies, 2);
});

t.test('a broken stream is a PROTOCOL_ERROR', async (tt) => {
  const bad = ['hello\r\n', '$abc\r\n', '$3\nxxx\r\n', '+OK\n', '$99999999999\r\n', '*x\r\n'];
  for (const s of bad) {
    const c = new ReplyCounter({ count: 0, first: null });
    let caught: unknown = null;
    try {
      c.feed(Buffer.from(s));
    } catch (err) {
      caught = err;
    }
    tt.ok(caught instanceof RaftKvError && caught.code === 'PROTOCOL_ERROR', `${JSON.stringify(s)}: ${String(caught)}`);
  }
  const long = new ReplyCounter({ count: 0, first: null });
  tt.throws(() => long.feed(Buffer.from(`-${'e'.repeat(70_000)}`)), /line longer than/, 'an endless line is refused');
});
