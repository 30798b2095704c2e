/**
 * Where a direct stream resumes after a restart, decided without any I/O: what the offset log
 * says (read by the caller) and the `firstBatchAfterRestart` policy give the batches to run again
 * and the logged positions (planRestart); Kafka's and the sink's facts about a newly assigned
 * partition then give its first offset (startingPosition); and before each new batch, the next
 * logged batch still to run again is cut down to the partitions still positioned where it
 * starts (nextReplay). docs/kafka.md ("The offset log and restarts", "Where a partition starts")
 * states the rules these functions implement.
 */
import type { PlannedBatch } from '../../state/offset-log.js';
import { type OffsetRange, topicPartitionKey } from '../../topic-partition.js';
import type { OffsetsReset } from './direct-stream-events.js';
import type { FirstBatchPolicy } from './kafka-direct-stream-options.js';

/** What the offset log holds at start (OffsetLog.state, and OffsetLog.allPlanned when needed). */
export interface LoggedBatches {
  /** Batches planned after the newest committed one, oldest first. */
  readonly pending: readonly PlannedBatch[];
  /** The newest committed batch. */
  readonly lastCommitted: PlannedBatch | undefined;
  /** Every planned batch still in the log, oldest first: read only when replaysCheckpoint() says so. */
  readonly allPlanned?: readonly PlannedBatch[];
}

export interface RestartInput {
  /** The stream's name: its ranges in a logged batch are `ranges[stream]`. */
  readonly stream: string;
  readonly policy: FirstBatchPolicy;
  /** Undefined when the context has no checkpoint directory (no offset log). */
  readonly log: LoggedBatches | undefined;
  /** The metadata checkpoint's batch time when the context recovers from one. */
  readonly recoveringFromCheckpointMs: number | undefined;
}

export interface RestartPlan {
  readonly stream: string;
  /**
   * Logged batches run again first, oldest first: the uncommitted ones ('rerun'), or on
   * checkpoint recovery every one after the checkpoint, committed or not.
   */
  readonly replays: readonly PlannedBatch[];
  /** Per partition key: where those batches start, the oldest replayed from-offset. */
  readonly replayStart: ReadonlyMap<string, number>;
  /**
   * Per partition key: the until-offset of the newest batch that counts as done (the newest
   * committed one; with 'skip' every uncommitted one too; on checkpoint recovery the newest at or
   * before the checkpoint).
   */
  readonly loggedPositions: ReadonlyMap<string, number>;
  /** 'skip' found uncommitted batches: loggedPositions win over every other position. */
  readonly skipsUncommitted: boolean;
  /** Replayed batch times the log had committed before the restart (checkpoint recovery). */
  readonly committedReplays: ReadonlySet<number>;
  /** The checkpoint's batch time when the replays run each at their own batch time. */
  readonly recoveringFrom: number | undefined;
  /** Newest durable checkpoint known at start: offset log entries after it must be kept. */
  readonly lastCheckpointMs: number | undefined;
}

/** Whether the restart replays every batch logged after a metadata checkpoint (needs allPlanned). */
export function replaysCheckpoint(
  policy: FirstBatchPolicy,
  recoveringFromCheckpointMs: number | undefined,
): recoveringFromCheckpointMs is number {
  return policy === 'rerun' && recoveringFromCheckpointMs !== undefined;
}

/**
 * What a restart replays and where partitions resume, from the offset log as found at start:
 * 'rerun' replays the uncommitted batches (on checkpoint recovery, every batch after the
 * checkpoint); 'skip' counts them as done. Without an offset log there is nothing to resume.
 */
export function planRestart(input: RestartInput): RestartPlan {
  const { stream, policy, log } = input;
  const replays: PlannedBatch[] = [];
  const replayStart = new Map<string, number>();
  const loggedPositions = new Map<string, number>();
  const committedReplays = new Set<number>();
  const plan = (extra: Partial<RestartPlan>): RestartPlan => ({
    stream,
    replays,
    replayStart,
    loggedPositions,
    skipsUncommitted: false,
    committedReplays,
    recoveringFrom: undefined,
    lastCheckpointMs: undefined,
    ...extra,
  });
  const replay = (batch: PlannedBatch) => {
    replays.push(batch);
    for (const r of batch.ranges[stream] ?? []) {
      const key = topicPartitionKey(r.topic, r.partition);
      if (!replayStart.has(key)) replayStart.set(key, r.fromOffset);
    }
  };
  const done = (batch: PlannedBatch) => {
    for (const r of batch.ranges[stream] ?? [])
      loggedPositions.set(topicPartitionKey(r.topic, r.partition), r.untilOffset);
  };
  if (!log) return plan({});
  const checkpointMs = input.recoveringFromCheckpointMs;
  if (replaysCheckpoint(policy, checkpointMs)) {
    // Partitions resume where the newest batch at or before the checkpoint left them; every
    // batch after it runs again at its own batch time (the checkpointed state lacks it).
    if (!log.allPlanned)
      throw new TypeError('planRestart: recovering from a checkpoint needs every planned batch (allPlanned)');
    const newestCommit = log.lastCommitted?.batchTime ?? Number.NEGATIVE_INFINITY;
    for (const batch of log.allPlanned) {
      if (batch.batchTime > checkpointMs && batch.batchTime <= newestCommit)
        committedReplays.add(batch.batchTime);
      if (batch.batchTime <= checkpointMs) done(batch);
      else replay(batch);
    }
    return plan({ recoveringFrom: checkpointMs, lastCheckpointMs: checkpointMs });
  }
  // Positions after the newest batch that counts as done: the newest committed one, and with
  // 'skip' (at-most-once) every uncommitted one too.
  if (log.lastCommitted) done(log.lastCommitted);
  if (policy === 'rerun') {
    for (const batch of log.pending) replay(batch);
    return plan({});
  }
  for (const batch of log.pending) done(batch);
  return plan({ skipsUncommitted: log.pending.length > 0 });
}

/** The rules that place a newly assigned partition: the restart plan's, and startingOffsets. */
export interface StartRules {
  readonly skipsUncommitted: boolean;
  readonly loggedPositions: ReadonlyMap<string, number>;
  /** Replay starts no assignment has used yet: each applies to a partition's first assignment only. */
  readonly replayStart: ReadonlyMap<string, number>;
  readonly startingOffsets: 'earliest' | 'latest' | undefined;
  /**
   * The stream has a sink's offset store: it alone says what was applied. A partition it knows
   * nothing of has had nothing applied, whatever the offset log planned for it (a planned batch
   * may have failed, or died with its agent, and another agent's plans moved on past it).
   */
  readonly offsetStore?: boolean;
}

/** What Kafka and the sink say about a newly assigned partition (fetched by the caller). */
export interface PartitionFacts {
  readonly topic: string;
  readonly partition: number;
  /** The partition's low and high watermarks. */
  readonly low: number;
  readonly high: number;
  /** The sink's offset store's position, when it knows the partition. */
  readonly sinkOffset: number | undefined;
  /** The group's offset committed to Kafka, when there is one (kafkajs says -1 for none). */
  readonly committedOffset: number | undefined;
  /** The partition was added to the topic after the stream first connected. */
  readonly addedToTopic: boolean;
}

export interface StartingPosition {
  readonly offset: number;
  /** Set when the chosen stored offset was outside `[low, high]` and `offset` fell back to low. */
  readonly reset?: OffsetsReset;
}

/**
 * The first offset of a newly assigned partition: with 'skip', after the skipped batches; else
 * the sink's offset store (and when the stream has one that knows nothing of the partition, its
 * start: see StartRules.offsetStore); else the oldest replayed from-offset; else the offset log;
 * else the offset committed to Kafka (it lags the log by a batch after a crash); else startingOffsets,
 * except that a partition added to the topic since the stream first connected starts at its
 * earliest offset. A stored offset outside the retained range falls back to the earliest.
 */
export function startingPosition(rules: StartRules, facts: PartitionFacts): StartingPosition {
  const { low, high } = facts;
  const key = topicPartitionKey(facts.topic, facts.partition);
  if (rules.offsetStore && facts.sinkOffset === undefined && !rules.skipsUncommitted) {
    // Nothing applied: from the start ('earliest', or a partition added to the topic), else from
    // the earliest position this stream ever had for it (never past a record it did not apply).
    const positions = [rules.replayStart.get(key), rules.loggedPositions.get(key), facts.committedOffset];
    const known = positions.filter((o): o is number => o !== undefined && o >= 0);
    const start =
      rules.startingOffsets === 'earliest' || facts.addedToTopic
        ? low
        : known.length > 0
          ? Math.min(...known)
          : high;
    if (start < low || start > high)
      return { offset: low, reset: { cause: 'out-of-range', storedOffset: start, low, high } };
    return { offset: start };
  }
  let start =
    (rules.skipsUncommitted ? rules.loggedPositions.get(key) : undefined) ??
    facts.sinkOffset ??
    rules.replayStart.get(key) ??
    rules.loggedPositions.get(key) ??
    facts.committedOffset ??
    -1;
  if (start < 0) {
    // Nothing stored. A partition added after the stream first connected holds only new records
    // (Structured Streaming's rule): all of them are read, whatever startingOffsets says.
    start = rules.startingOffsets === 'earliest' || facts.addedToTopic ? low : high;
  }
  // Retention deleted what would be read next, or the topic was recreated: the documented
  // fallback is the earliest retained record, reported, never silent.
  if (start < low || start > high)
    return { offset: low, reset: { cause: 'out-of-range', storedOffset: start, low, high } };
  return { offset: start };
}

/** The next step of a restart's replay, before a batch is planned afresh. */
export type ReplayStep =
  /** Run this logged batch's ranges again (the ones still positioned where they start). */
  | {
      readonly kind: 'replay';
      readonly batchTime: number;
      readonly ranges: readonly OffsetRange[];
      readonly remaining: readonly PlannedBatch[];
    }
  /** Checkpoint recovery: the next logged batch is later; this batch time gets nothing (as before the crash). */
  | { readonly kind: 'wait'; readonly remaining: readonly PlannedBatch[] }
  /** Nothing left to replay: plan afresh. */
  | { readonly kind: 'done'; readonly remaining: readonly PlannedBatch[] };

/**
 * The logged batch to run again at `batchTimeMs`, from `replays` (oldest first). Only its ranges
 * of partitions this agent owns and whose position (`positions`, per partition key) is exactly
 * where the range starts still apply: a partition assigned elsewhere meanwhile, or positioned
 * differently, is planned afresh. A batch left with nothing is passed over, and so is a committed
 * checkpoint replay whose remaining ranges are all empty (a sink already applied the others).
 */
export function nextReplay(
  plan: Pick<RestartPlan, 'stream' | 'recoveringFrom' | 'committedReplays'>,
  replays: readonly PlannedBatch[],
  batchTimeMs: number,
  positions: ReadonlyMap<string, number>,
): ReplayStep {
  for (const [i, batch] of replays.entries()) {
    // Checkpoint recovery replays each logged batch at its own time.
    if (plan.recoveringFrom !== undefined && batch.batchTime > batchTimeMs)
      return { kind: 'wait', remaining: replays.slice(i) };
    const ranges = (batch.ranges[plan.stream] ?? []).filter(
      (r) => positions.get(topicPartitionKey(r.topic, r.partition)) === r.fromOffset,
    );
    const onlyEmpty = ranges.every((r) => r.untilOffset === r.fromOffset);
    if (ranges.length > 0 && !(onlyEmpty && plan.committedReplays.has(batch.batchTime)))
      return { kind: 'replay', batchTime: batch.batchTime, ranges, remaining: replays.slice(i + 1) };
  }
  return { kind: 'done', remaining: [] };
}
