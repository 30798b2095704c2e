/**
 * The direct stream's restart plan, without a broker: what planRestart makes of the offset log
 * under each policy, where startingPosition puts a newly assigned partition, and which logged
 * ranges nextReplay still runs. Every expected value is worked out by hand from docs/kafka.md
 * ("The offset log and restarts", "Where a partition starts", "Stored offsets out of range").
 */
import { describe, expect, it } from 'vitest';
import {
  type LoggedBatches,
  nextReplay,
  type PartitionFacts,
  planRestart,
  type RestartPlan,
  type StartRules,
  startingPosition,
} from '../../src/sources/kafka/restart-plan.js';
import type { PlannedBatch } from '../../src/state/offset-log.js';
import type { OffsetRange } from '../../src/topic-partition.js';

const STREAM = 'kafka:t';

/** `[partition, from, until]` of topic t. */
type Span = readonly [number, number, number];

const range = ([partition, fromOffset, untilOffset]: Span): OffsetRange => ({
  topic: 't',
  partition,
  fromOffset,
  untilOffset,
});

const batch = (batchTime: number, ...spans: Span[]): PlannedBatch => ({
  batchTime,
  ranges: { [STREAM]: spans.map(range), 'kafka:other': [{ ...range([0, 500, 600]), topic: 'other' }] },
});

// One history of the log, batch by batch (partition 2 shows up only from batch 300 on).
const B100 = batch(100, [0, 0, 10], [1, 0, 5]);
const B200 = batch(200, [0, 10, 20], [1, 5, 5]);
const B300 = batch(300, [0, 20, 25], [1, 5, 9], [2, 40, 42]);
const B400 = batch(400, [0, 25, 30], [1, 9, 12]);
/** A batch that only another stream of the same context read. */
const OTHER_ONLY: PlannedBatch = { batchTime: 250, ranges: { 'kafka:other': [] } };

/** A plan as comparable data: maps and sets as entry lists, batches as their times. */
function summary(plan: RestartPlan) {
  return {
    replays: plan.replays.map((b) => b.batchTime),
    replayStart: Object.fromEntries(plan.replayStart),
    loggedPositions: Object.fromEntries(plan.loggedPositions),
    skipsUncommitted: plan.skipsUncommitted,
    committedReplays: [...plan.committedReplays],
    recoveringFrom: plan.recoveringFrom,
    lastCheckpointMs: plan.lastCheckpointMs,
  };
}

const nothing = {
  replays: [],
  replayStart: {},
  loggedPositions: {},
  skipsUncommitted: false,
  committedReplays: [],
  recoveringFrom: undefined,
  lastCheckpointMs: undefined,
};

const logOf = (lastCommitted: PlannedBatch | undefined, ...pending: PlannedBatch[]): LoggedBatches => ({
  lastCommitted,
  pending,
});

describe('planRestart', () => {
  it.each<{
    name: string;
    policy: 'rerun' | 'skip';
    log: LoggedBatches | undefined;
    checkpointMs?: number;
    expected: ReturnType<typeof summary>;
  }>([
    {
      name: 'no offset log (no checkpointDir): nothing to replay or resume',
      policy: 'rerun',
      log: undefined,
      expected: nothing,
    },
    {
      name: 'no offset log, even when the context recovers from a checkpoint',
      policy: 'rerun',
      log: undefined,
      checkpointMs: 200,
      expected: nothing,
    },
    { name: 'an empty offset log', policy: 'rerun', log: logOf(undefined), expected: nothing },
    {
      name: "a clean restart ('rerun'): the last committed batch's until-offsets",
      policy: 'rerun',
      log: logOf(B100),
      expected: { ...nothing, loggedPositions: { 't-0': 10, 't-1': 5 } },
    },
    {
      name: "a clean restart ('skip') is the same: nothing was skipped",
      policy: 'skip',
      log: logOf(B100),
      expected: { ...nothing, loggedPositions: { 't-0': 10, 't-1': 5 } },
    },
    {
      name: "one uncommitted batch ('rerun'): replayed from its from-offsets",
      policy: 'rerun',
      log: logOf(B100, B200),
      expected: {
        ...nothing,
        replays: [200],
        replayStart: { 't-0': 10, 't-1': 5 },
        loggedPositions: { 't-0': 10, 't-1': 5 },
      },
    },
    {
      name: "several uncommitted batches ('rerun'): oldest first, each partition from its oldest from-offset",
      policy: 'rerun',
      log: logOf(B100, B200, B300),
      expected: {
        ...nothing,
        replays: [200, 300],
        replayStart: { 't-0': 10, 't-1': 5, 't-2': 40 },
        loggedPositions: { 't-0': 10, 't-1': 5 },
      },
    },
    {
      name: "uncommitted batches and nothing committed yet ('rerun')",
      policy: 'rerun',
      log: logOf(undefined, B100, B200),
      expected: { ...nothing, replays: [100, 200], replayStart: { 't-0': 0, 't-1': 0 } },
    },
    {
      name: "an uncommitted batch of another stream only ('rerun'): queued, but it starts nothing here",
      policy: 'rerun',
      log: logOf(B200, OTHER_ONLY),
      expected: { ...nothing, replays: [250], loggedPositions: { 't-0': 20, 't-1': 5 } },
    },
    {
      name: "several uncommitted batches ('skip'): they count as done, the newest until-offsets win",
      policy: 'skip',
      log: logOf(B100, B200, B300),
      expected: { ...nothing, loggedPositions: { 't-0': 25, 't-1': 9, 't-2': 42 }, skipsUncommitted: true },
    },
    {
      name: "'skip' keeps its rule when the context recovers from a checkpoint (no replay, no allPlanned read)",
      policy: 'skip',
      log: logOf(B100, B200),
      checkpointMs: 100,
      expected: { ...nothing, loggedPositions: { 't-0': 20, 't-1': 5 }, skipsUncommitted: true },
    },
    {
      name: 'checkpoint recovery: every batch after the checkpoint is replayed, the committed ones marked',
      policy: 'rerun',
      log: { lastCommitted: B300, pending: [B400], allPlanned: [B100, B200, B300, B400] },
      checkpointMs: 200,
      expected: {
        replays: [300, 400],
        replayStart: { 't-0': 20, 't-1': 5, 't-2': 40 },
        loggedPositions: { 't-0': 20, 't-1': 5 },
        skipsUncommitted: false,
        committedReplays: [300],
        recoveringFrom: 200,
        lastCheckpointMs: 200,
      },
    },
    {
      name: 'checkpoint recovery with nothing committed: replays, none of them marked committed',
      policy: 'rerun',
      log: { lastCommitted: undefined, pending: [B100, B200], allPlanned: [B100, B200] },
      checkpointMs: 50,
      expected: {
        ...nothing,
        replays: [100, 200],
        replayStart: { 't-0': 0, 't-1': 0 },
        recoveringFrom: 50,
        lastCheckpointMs: 50,
      },
    },
    {
      name: 'checkpoint recovery at the newest batch: nothing after it to replay',
      policy: 'rerun',
      log: { lastCommitted: B200, pending: [], allPlanned: [B100, B200] },
      checkpointMs: 200,
      expected: {
        ...nothing,
        loggedPositions: { 't-0': 20, 't-1': 5 },
        recoveringFrom: 200,
        lastCheckpointMs: 200,
      },
    },
  ])('$name', ({ policy, log, checkpointMs, expected }) => {
    const plan = planRestart({ stream: STREAM, policy, log, recoveringFromCheckpointMs: checkpointMs });
    expect(plan.stream).toBe(STREAM);
    expect(summary(plan)).toEqual(expected);
  });

  it('refuses a checkpoint recovery without every planned batch of the log', () => {
    expect(() =>
      planRestart({
        stream: STREAM,
        policy: 'rerun',
        log: logOf(B100, B200),
        recoveringFromCheckpointMs: 100,
      }),
    ).toThrow(/allPlanned/);
  });
});

const rulesOf = (plan: RestartPlan, startingOffsets?: 'earliest' | 'latest'): StartRules => ({
  skipsUncommitted: plan.skipsUncommitted,
  loggedPositions: plan.loggedPositions,
  replayStart: plan.replayStart,
  startingOffsets,
});

const rerunPlan = planRestart({
  stream: STREAM,
  policy: 'rerun',
  log: logOf(B100, B200, B300),
  recoveringFromCheckpointMs: undefined,
});
const skipPlan = planRestart({
  stream: STREAM,
  policy: 'skip',
  log: logOf(B100, B200, B300),
  recoveringFromCheckpointMs: undefined,
});
const cleanPlan = planRestart({
  stream: STREAM,
  policy: 'rerun',
  log: logOf(B100),
  recoveringFromCheckpointMs: undefined,
});
const noLog = planRestart({
  stream: STREAM,
  policy: 'rerun',
  log: undefined,
  recoveringFromCheckpointMs: undefined,
});

/** Partition 0 of t with a retained range [0, 100] and nothing known about it. */
const partitionFacts = (facts: Partial<PartitionFacts> = {}): PartitionFacts => ({
  topic: 't',
  partition: 0,
  low: 0,
  high: 100,
  sinkOffset: undefined,
  committedOffset: undefined,
  addedToTopic: false,
  ...facts,
});

describe('startingPosition with a sink offset store that knows nothing of the partition', () => {
  const rules = (startingOffsets: 'earliest' | 'latest'): StartRules => ({
    skipsUncommitted: false,
    loggedPositions: new Map([['t-0', 52]]),
    replayStart: new Map([['t-0', 40]]),
    startingOffsets,
    offsetStore: true,
  });
  const facts = partitionFacts({ low: 0, high: 100, sinkOffset: undefined, committedOffset: undefined });

  it('earliest: from the low watermark, not from what the offset log planned (it may never have been applied)', () => {
    expect(startingPosition(rules('earliest'), facts)).toEqual({ offset: 0 });
    // Without a store the log's plans are the truth, as before.
    expect(startingPosition({ ...rules('earliest'), offsetStore: false }, facts)).toEqual({ offset: 40 });
  });

  it('latest: the earliest position the stream had for it, never past it', () => {
    expect(startingPosition(rules('latest'), facts)).toEqual({ offset: 40 });
    expect(
      startingPosition({ ...rules('latest'), loggedPositions: new Map(), replayStart: new Map() }, facts),
    ).toEqual({ offset: 100 });
  });

  it('a stored offset still wins', () => {
    expect(startingPosition(rules('earliest'), { ...facts, sinkOffset: 60 })).toEqual({ offset: 60 });
  });
});

describe('startingPosition', () => {
  it.each<{
    name: string;
    rules: StartRules;
    facts: PartitionFacts;
    expected: ReturnType<typeof startingPosition>;
  }>([
    {
      name: "nothing stored, startingOffsets 'latest' (the default): the high watermark",
      rules: rulesOf(noLog),
      facts: partitionFacts({ low: 3, high: 50 }),
      expected: { offset: 50 },
    },
    {
      name: "nothing stored, startingOffsets 'earliest': the low watermark",
      rules: rulesOf(noLog, 'earliest'),
      facts: partitionFacts({ low: 3, high: 50 }),
      expected: { offset: 3 },
    },
    {
      name: "nothing stored and kafkajs' -1 for no committed offset: startingOffsets",
      rules: rulesOf(noLog, 'earliest'),
      facts: partitionFacts({ low: 3, high: 50, committedOffset: -1 }),
      expected: { offset: 3 },
    },
    {
      name: "a partition added to the topic after the stream first connected: earliest, whatever 'latest' says",
      rules: rulesOf(noLog, 'latest'),
      facts: partitionFacts({ partition: 7, low: 0, high: 12, addedToTopic: true }),
      expected: { offset: 0 },
    },
    {
      name: 'the offset committed to Kafka, when nothing of this agent knows the partition',
      rules: rulesOf(noLog, 'earliest'),
      facts: partitionFacts({ committedOffset: 30 }),
      expected: { offset: 30 },
    },
    {
      name: "the offset log's last committed until-offset wins over Kafka's (which lags it after a crash)",
      rules: rulesOf(cleanPlan),
      facts: partitionFacts({ committedOffset: 8 }),
      expected: { offset: 10 },
    },
    {
      name: "'rerun': the oldest uncommitted from-offset, for a partition only the uncommitted batches read",
      rules: rulesOf(rerunPlan),
      facts: partitionFacts({ partition: 2, committedOffset: 35 }),
      expected: { offset: 40 },
    },
    {
      name: "'rerun': a replay start wins over the offset log when they differ",
      rules: {
        skipsUncommitted: false,
        loggedPositions: new Map([['t-0', 10]]),
        replayStart: new Map([['t-0', 7]]),
        startingOffsets: undefined,
      },
      facts: partitionFacts({ committedOffset: 12 }),
      expected: { offset: 7 },
    },
    {
      name: 'the sink offset store wins over the replay start and the offset log',
      rules: rulesOf(rerunPlan),
      facts: partitionFacts({ sinkOffset: 15, committedOffset: 12 }),
      expected: { offset: 15 },
    },
    {
      name: 'a sink offset of 0 is a position, not a missing one',
      rules: rulesOf(cleanPlan),
      facts: partitionFacts({ sinkOffset: 0, committedOffset: 30 }),
      expected: { offset: 0 },
    },
    {
      name: "'skip': after the skipped batches, ahead of the sink offset store",
      rules: rulesOf(skipPlan),
      facts: partitionFacts({ sinkOffset: 15, committedOffset: 12 }),
      expected: { offset: 25 },
    },
    {
      name: "'skip': a partition the skipped batches did not read goes on to the sink offset store",
      rules: rulesOf(skipPlan),
      facts: partitionFacts({ partition: 3, sinkOffset: 4, committedOffset: 2 }),
      expected: { offset: 4 },
    },
    {
      name: 'a stored offset below the low watermark (retention): the low watermark, reported',
      rules: rulesOf(cleanPlan),
      facts: partitionFacts({ low: 12, high: 50 }),
      expected: { offset: 12, reset: { cause: 'out-of-range', storedOffset: 10, low: 12, high: 50 } },
    },
    {
      name: 'a stored offset above the high watermark (topic recreated): the low watermark, reported',
      rules: rulesOf(noLog),
      facts: partitionFacts({ low: 0, high: 50, committedOffset: 80 }),
      expected: { offset: 0, reset: { cause: 'out-of-range', storedOffset: 80, low: 0, high: 50 } },
    },
    {
      name: 'a stored offset at the high watermark is in range (nothing new yet)',
      rules: rulesOf(noLog),
      facts: partitionFacts({ low: 0, high: 50, committedOffset: 50 }),
      expected: { offset: 50 },
    },
  ])('$name', ({ rules, facts, expected }) => {
    expect(startingPosition(rules, facts)).toEqual(expected);
  });
});

const spans = (ranges: readonly OffsetRange[]) =>
  ranges.map((r) => [r.partition, r.fromOffset, r.untilOffset]);

describe('nextReplay', () => {
  const checkpointPlan = planRestart({
    stream: STREAM,
    policy: 'rerun',
    log: { lastCommitted: B300, pending: [B400], allPlanned: [B100, B200, B300, B400] },
    recoveringFromCheckpointMs: 200,
  });
  // Committed before the crash; a sink applied partition 0's part, so only its empty range still matches.
  const B300_SINK_AHEAD = batch(300, [0, 20, 25], [1, 5, 5]);
  const B400_AFTER = batch(400, [1, 5, 8]);
  const sinkAheadPlan = planRestart({
    stream: STREAM,
    policy: 'rerun',
    log: {
      lastCommitted: B300_SINK_AHEAD,
      pending: [B400_AFTER],
      allPlanned: [B200, B300_SINK_AHEAD, B400_AFTER],
    },
    recoveringFromCheckpointMs: 200,
  });
  const positions = (entries: Record<string, number>) => new Map(Object.entries(entries));

  it.each<{
    name: string;
    plan: RestartPlan;
    replays?: readonly PlannedBatch[];
    batchTimeMs: number;
    positions: Map<string, number>;
    expected: { kind: string; batchTime?: number; ranges?: number[][]; remaining: number[] };
  }>([
    {
      name: 'nothing to replay: plan afresh',
      plan: cleanPlan,
      batchTimeMs: 500,
      positions: positions({ 't-0': 10, 't-1': 5 }),
      expected: { kind: 'done', remaining: [] },
    },
    {
      name: "'rerun': the oldest uncommitted batch first, with its logged ranges (empty ones too)",
      plan: rerunPlan,
      batchTimeMs: 500,
      positions: positions({ 't-0': 10, 't-1': 5 }),
      expected: {
        kind: 'replay',
        batchTime: 200,
        ranges: [
          [0, 10, 20],
          [1, 5, 5],
        ],
        remaining: [300],
      },
    },
    {
      name: "'rerun': then the next one, once the partitions are where it starts",
      plan: rerunPlan,
      replays: [B300],
      batchTimeMs: 500,
      positions: positions({ 't-0': 20, 't-1': 5, 't-2': 40 }),
      expected: {
        kind: 'replay',
        batchTime: 300,
        ranges: [
          [0, 20, 25],
          [1, 5, 9],
          [2, 40, 42],
        ],
        remaining: [],
      },
    },
    {
      name: 'a revoked partition (no longer owned) is left out of the replay: it is planned afresh elsewhere',
      plan: rerunPlan,
      batchTimeMs: 500,
      positions: positions({ 't-1': 5 }),
      expected: { kind: 'replay', batchTime: 200, ranges: [[1, 5, 5]], remaining: [300] },
    },
    {
      name: 'a partition positioned elsewhere (a sink offset store said 15) is left out of the replay',
      plan: rerunPlan,
      batchTimeMs: 500,
      positions: positions({ 't-0': 15, 't-1': 5 }),
      expected: { kind: 'replay', batchTime: 200, ranges: [[1, 5, 5]], remaining: [300] },
    },
    {
      name: 'no owned partition where any logged batch starts: every batch passed over',
      plan: rerunPlan,
      batchTimeMs: 500,
      positions: positions({ 't-0': 99 }),
      expected: { kind: 'done', remaining: [] },
    },
    {
      name: 'a batch of another stream only is passed over',
      plan: rerunPlan,
      replays: [OTHER_ONLY, B300],
      batchTimeMs: 500,
      positions: positions({ 't-1': 5 }),
      expected: { kind: 'replay', batchTime: 300, ranges: [[1, 5, 9]], remaining: [] },
    },
    {
      name: 'checkpoint recovery: a batch time before the next logged one gets nothing',
      plan: checkpointPlan,
      batchTimeMs: 250,
      positions: positions({ 't-0': 20, 't-1': 5, 't-2': 40 }),
      expected: { kind: 'wait', remaining: [300, 400] },
    },
    {
      name: 'checkpoint recovery: the logged batch at its own batch time',
      plan: checkpointPlan,
      batchTimeMs: 300,
      positions: positions({ 't-0': 20, 't-1': 5, 't-2': 40 }),
      expected: {
        kind: 'replay',
        batchTime: 300,
        ranges: [
          [0, 20, 25],
          [1, 5, 9],
          [2, 40, 42],
        ],
        remaining: [400],
      },
    },
    {
      name: 'checkpoint recovery: a committed replay left with only empty ranges is passed over, the next waits for its time',
      plan: sinkAheadPlan,
      batchTimeMs: 300,
      positions: positions({ 't-0': 27, 't-1': 5 }),
      expected: { kind: 'wait', remaining: [400] },
    },
    {
      name: 'checkpoint recovery: ... and at its time the next one runs',
      plan: sinkAheadPlan,
      batchTimeMs: 400,
      positions: positions({ 't-0': 27, 't-1': 5 }),
      expected: { kind: 'replay', batchTime: 400, ranges: [[1, 5, 8]], remaining: [] },
    },
    {
      name: "'rerun' without a checkpoint: an uncommitted batch of empty ranges still runs (it is not known to be done)",
      plan: rerunPlan,
      replays: [B300_SINK_AHEAD],
      batchTimeMs: 0,
      positions: positions({ 't-0': 27, 't-1': 5 }),
      expected: { kind: 'replay', batchTime: 300, ranges: [[1, 5, 5]], remaining: [] },
    },
  ])('$name', ({ plan, replays, batchTimeMs, positions, expected }) => {
    const step = nextReplay(plan, replays ?? plan.replays, batchTimeMs, positions);
    expect({
      kind: step.kind,
      ...(step.kind === 'replay' ? { batchTime: step.batchTime, ranges: spans(step.ranges) } : {}),
      remaining: step.remaining.map((b) => b.batchTime),
    }).toEqual(expected);
  });
});

describe('a restart, end to end without a broker', () => {
  it("'rerun' after a crash, with partition 0 taken by another agent: only partition 1 replays, from the log", () => {
    const plan = planRestart({
      stream: STREAM,
      policy: 'rerun',
      log: logOf(B100, B200),
      recoveringFromCheckpointMs: undefined,
    });
    // This agent is assigned partition 1 only; Kafka has 4 committed (a batch behind the log).
    const start = startingPosition(rulesOf(plan), partitionFacts({ partition: 1, committedOffset: 4 }));
    expect(start).toEqual({ offset: 5 });
    const step = nextReplay(plan, plan.replays, 1000, new Map([['t-1', start.offset]]));
    expect(step).toMatchObject({ kind: 'replay', batchTime: 200, ranges: [range([1, 5, 5])] });
  });

  it('a transactional sink ahead of the log: the partition starts at the sink and its logged range is not replayed', () => {
    const plan = planRestart({
      stream: STREAM,
      policy: 'rerun',
      log: logOf(B100, B200, B300),
      recoveringFromCheckpointMs: undefined,
    });
    const starts = new Map([
      ['t-0', startingPosition(rulesOf(plan), partitionFacts({ sinkOffset: 20 })).offset],
      ['t-1', startingPosition(rulesOf(plan), partitionFacts({ partition: 1 })).offset],
      ['t-2', startingPosition(rulesOf(plan), partitionFacts({ partition: 2 })).offset],
    ]);
    expect(Object.fromEntries(starts)).toEqual({ 't-0': 20, 't-1': 5, 't-2': 40 });
    // Batch 200 still has partition 1's (empty) range; batch 300 then all three.
    const first = nextReplay(plan, plan.replays, 1000, starts);
    expect(first.kind === 'replay' && spans(first.ranges)).toEqual([[1, 5, 5]]);
    const second = nextReplay(plan, first.remaining, 1000, starts);
    expect(second.kind === 'replay' && spans(second.ranges)).toEqual([
      [0, 20, 25],
      [1, 5, 9],
      [2, 40, 42],
    ]);
  });
});
