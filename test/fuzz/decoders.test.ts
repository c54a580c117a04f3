/**
 * In-process fuzzing of every decoder of untrusted input: the client-port decoder (JSON, RESP2 and
 * inline, fed in random chunks down to single bytes), the JSON request parser, the Redis command
 * parser and AUTH gate's argv, and the peer-message and hello validators. Properties: nothing
 * throws; memory held by a decoder stays within its limits; whatever is accepted is within the
 * bounds the node relies on (terms and indices it can increment, sizes under the limits).
 *
 * 100,000 inputs per target by default (a few seconds); FUZZ_INPUTS=N for more, FUZZ_SEED=S to
 * replay a reported failure.
 */
import t, { type Test } from 'tap';
import { ClientRequestDecoder } from '../../src/protocol/client-decoder.js';
import { parseJsonRequest } from '../../src/protocol/client-requests.js';
import { parseRedisCommand } from '../../src/protocol/redis-commands.js';
import { MAX_TERM_OR_INDEX, validateHello, validatePeerMessage } from '../../src/protocol/raft-validate.js';
import { commandSizeError } from '../../src/protocol/size-limits.js';
import { chunked, clientInput, FUZZ_SEED, fuzzInputs, peerMessage, rngFor } from './hostile-inputs.js';

const N = fuzzInputs(100_000);

/** The numeric fields the core reads, per message type (raft-messages.ts). */
const NUMERIC_FIELDS: Record<string, string[]> = {
  vote: ['lastLogIndex', 'lastLogTerm'],
  append: ['prevLogIndex', 'prevLogTerm', 'commit', 'sentTick'],
  appendResp: ['index', 'hintIndex', 'hintTerm', 'sentTick'],
  heartbeat: ['commit', 'sentTick'],
  heartbeatResp: ['sentTick'],
  readIndexResp: ['index'],
};
const OPTIONAL = new Set(['sentTick']);

/** Runs `check(i)` for every input; the first failure names the seed and index to replay. */
function forEachInput(t: Test, what: string, check: (i: number) => void): void {
  for (let i = 0; i < N; i++) {
    try {
      check(i);
    } catch (err) {
      t.fail(`${what}: input ${i} of seed ${FUZZ_SEED} (replay: FUZZ_SEED=${FUZZ_SEED}): ${(err as Error).stack}`);
      return;
    }
  }
  t.pass(`${what}: ${N} inputs, seed ${FUZZ_SEED}`);
}

t.test('client-port decoder and parsers', async (t) => {
  // One decoder per 50 inputs, so garbage left by one input meets the next (as on a connection).
  let decoder = new ClientRequestDecoder();
  let dialects = { json: 0, resp: 0, inline: 0, error: 0 };
  forEachInput(t, 'client port', (i) => {
    if (i % 50 === 0 || decoder.closed) decoder = new ClientRequestDecoder();
    for (const chunk of chunked(clientInput(FUZZ_SEED, i), rngFor(FUZZ_SEED, i, 'chunks'))) {
      for (const d of decoder.push(chunk)) {
        if (d.kind === 'json') {
          dialects.json++;
          const parsed = parseJsonRequest(d.line);
          if (parsed.ok && commandSizeError(parsed.req as unknown as Record<string, unknown>)) throw new Error('an over-size request was accepted');
        } else if (d.kind === 'argv') {
          dialects[d.dialect]++;
          if (d.argv.length === 0) throw new Error('an empty argv came out of the decoder');
          const dispatch = parseRedisCommand(d.argv);
          if (dispatch.kind === 'reply' && typeof dispatch.reply !== 'string') throw new Error('a local reply is not a string');
        } else {
          dialects.error++;
        }
      }
      if (decoder.bufferedBytes > decoder.maxRequestBytes + decoder.maxJsonBytes) throw new Error(`decoder holds ${decoder.bufferedBytes} bytes`);
    }
  });
  t.comment(`decoded: ${JSON.stringify(dialects)}`);
  t.ok(dialects.json > 0 && dialects.resp > 0 && dialects.inline > 0 && dialects.error > 0, 'every dialect and error path was reached');
  dialects = { json: 0, resp: 0, inline: 0, error: 0 };
});

t.test('peer-message and hello validators', async (t) => {
  let accepted = 0;
  forEachInput(t, 'peer validator', (i) => {
    const raw = peerMessage(FUZZ_SEED, i);
    const m = validatePeerMessage(raw);
    if (typeof m === 'string') return;
    accepted++;
    // What passes must be something the node can do arithmetic on (fields the core reads for the type).
    for (const k of ['from', 'to', 'term', ...(NUMERIC_FIELDS[m.type] ?? [])]) {
      const v = (m as unknown as Record<string, unknown>)[k];
      if (v === undefined && OPTIONAL.has(k)) continue;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v > MAX_TERM_OR_INDEX || v < (k === 'index' && m.type === 'readIndexResp' ? -1 : 0)) throw new Error(`${m.type}.${k}=${String(v)} accepted`);
    }
    validateHello(raw, 1, [2, 3]);
  });
  t.comment(`${accepted} of ${N} messages well-formed enough to pass`);
  t.ok(accepted > 0, 'some messages pass (the generator is not all garbage)');
});
