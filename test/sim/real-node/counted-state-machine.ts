/**
 * The real KvStateMachine, counting how often each session write (client id, seq) is executed:
 * the simulator's exactly-once check (Raft thesis §6.3). Executions are counted per machine
 * instance, i.e. per node life: a restarted node replays the log into a fresh machine. Every
 * applied entry is also shown to the run, which checks that all machines apply the same entry at
 * each index (State Machine Safety, §5.4.3, as the driver really applies).
 *
 * `DoubleApplyStateMachine` is the `--sabotage double-apply` self-test: a retried write (a seq
 * already executed here) is executed a second time, which the count must catch. Test code only;
 * the node process never builds either class.
 */
import type { Entry } from '../../../src/protocol/raft-messages.js';
import { KvStateMachine, parseKvCommand, type KvApplyOutcome, type KvCommand, type KvResult } from '../../../src/node/kv-state-machine.js';

/** Told when a session write runs more than once in one machine. */
export type OnDoubleExecution = (clientId: string, seq: number, times: number, index: number) => void;

/** What the run is told as each machine applies: the entry, to compare across machines. */
export interface ApplyObserver {
  doubleExecution: OnDoubleExecution;
  /** Every committed entry this machine applies, in order. */
  applying(entry: Entry): void;
}

export class CountedStateMachine extends KvStateMachine {
  /** "clientId#seq" -> executions. */
  protected readonly executions = new Map<string, number>();
  /** Session writes executed, for the run's summary. */
  sessionWrites = 0;
  private applying = 0;

  constructor(private readonly observer: ApplyObserver) {
    super();
  }

  override applyEntry(entry: Entry): KvApplyOutcome | null {
    this.observer.applying(entry);
    return super.applyEntry(entry);
  }

  override apply(index: number, data: unknown): KvApplyOutcome {
    this.applying = index;
    return super.apply(index, data);
  }

  protected override execute(cmd: KvCommand): KvResult {
    if (cmd.clientId !== undefined && cmd.seq !== undefined) {
      const key = `${cmd.clientId}#${cmd.seq}`;
      const times = (this.executions.get(key) ?? 0) + 1;
      this.executions.set(key, times);
      this.sessionWrites++;
      if (times > 1) this.observer.doubleExecution(cmd.clientId, cmd.seq, times, this.applying);
    }
    return super.execute(cmd);
  }
}

export class DoubleApplyStateMachine extends CountedStateMachine {
  override apply(index: number, data: unknown): KvApplyOutcome {
    const parsed = parseKvCommand(data);
    const cmd = parsed.ok ? parsed.command : null;
    const retry = cmd?.clientId !== undefined && this.executions.has(`${cmd.clientId}#${cmd.seq}`);
    const out = super.apply(index, data);
    // The sabotage: a retry gets the remembered result *and* runs again.
    if (retry) this.execute(cmd!);
    return out;
  }
}
