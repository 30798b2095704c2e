/**
 * kafkaDirectStream: Spark's direct approach on kafkajs. The engine, not a receiver, decides what
 * each batch reads: at every batch time it plans `[from, until)` per assigned partition (from the
 * previous batch's until, up to the high watermark, capped by maxRatePerPartition and
 * backpressure), writes the plan to the offset log BEFORE the batch runs, and the batch's tasks
 * read exactly those ranges. After every output succeeded the batch is committed: a commit entry
 * in the offset log, then the until-offsets committed to Kafka, so kafka-consumer-groups and lag
 * exporters see where the stream is. docs/kafka.md is the user's guide.
 *
 * This is the InputSource glue; the parts live beside it: group-membership.ts (the group consumer,
 * connecting, positioning assigned partitions, commits) over partition-table.ts (the owned
 * partitions), partition-offsets.ts (the offsets a plan asks the leaders for), broker-watch.ts
 * (whether the brokers answer: `connected`, `lastResponseMs`, `disconnectedReason`, and how long
 * a plan waits), group-member-id.ts (rejoining the group as the same member after a restart),
 * restart-plan.ts (what a restart replays and where partitions start, pure), kafka-rdd-reads.ts
 * (the batch's RDD, in-process or in executor workers), dead-letters.ts (rejected records),
 * consumer-lag.ts (lag per planned partition) and direct-stream-events.ts (every event posted).
 *
 * Planning never fails for Kafka's sake: a partition whose offsets Kafka did not give in time is
 * left out of the batch (its position unchanged, so a later batch plans it) and the failure is
 * reported; docs/kafka.md ("When brokers fail") says what is retried and for how long.
 */
import { join } from 'node:path';
import type { InputBatch, InputContext, InputSource, RemoteReadRdd } from '../../dstream/input-source.js';
import type { RddEnv } from '../../dstream/rdd.js';
import { describeError, remedyOf, SidestreamError } from '../../errors.js';
import { OffsetLog, type PlannedBatch } from '../../state/offset-log.js';
import { type OffsetRange, topicPartitionKey } from '../../topic-partition.js';
import { startedContext } from '../started-context.js';
import { BrokerWatch, brokerTiming } from './broker-watch.js';
import { measureConsumerLag } from './consumer-lag.js';
import { DeadLetters } from './dead-letters.js';
import { DirectStreamEvents, type DirectStreamStats } from './direct-stream-events.js';
import { GroupMemberId } from './group-member-id.js';
import { GroupMembership } from './group-membership.js';
import {
  type KafkaConnectionOptions,
  type KafkaDirectStreamOptions,
  validateKafkaDirectStreamOptions,
} from './kafka-direct-stream-options.js';
import { classifyKafkaFailure, isTransient } from './kafka-failures.js';
import { KafkaRddReads } from './kafka-rdd-reads.js';
import type { KafkaRecord } from './kafka-record.js';
import { warnIfKafkajsLeaksAborts } from './kafkajs-read-committed.js';
import { planOffsetRanges } from './offset-range-planner.js';
import { PartitionTable } from './partition-table.js';
import {
  type LoggedBatches,
  nextReplay,
  planRestart,
  type RestartPlan,
  replaysCheckpoint,
} from './restart-plan.js';

// The options' own module; re-exported so imports of this module's path keep working.
export type { FirstBatchPolicy, KafkaDirectStreamOptions } from './kafka-direct-stream-options.js';

export interface KafkaSourceHooks {
  /** The context's checkpoint directory: the offset log lives under it. None: no offset log. */
  readonly checkpointDir?: string;
  /** The current backpressure rate (records/s) for the stream, if backpressure is on. */
  rate?(): number | undefined;
}

/** What plan() decided for one batch time. */
interface Planned {
  readonly ranges: OffsetRange[];
  /** The high watermarks a fresh plan fetched (reused to measure its lag). */
  readonly high?: ReadonlyMap<string, number>;
}

/** How long a plan may still take once a graceful stop began (see stopReceiving). */
const STOP_PLAN_GRACE_MS = 2000;

export class KafkaDirectSource<V = string | null> implements InputSource<KafkaRecord<V>> {
  readonly name: string;
  readonly stats: DirectStreamStats = {
    recordErrors: 0,
    deadLettered: 0,
    rebalances: 0,
    offsetResets: 0,
    consumerFetched: 0,
    fetchPauses: 0,
  };
  private ctx: InputContext | undefined;
  private readonly table = new PartitionTable();
  private readonly events: DirectStreamEvents;
  private readonly membership: GroupMembership;
  private readonly reads: KafkaRddReads<V>;
  private offsetLog: OffsetLog | undefined;
  private restart: RestartPlan | undefined;
  /** The restart's logged batches still to run again, oldest first. */
  private replays: readonly PlannedBatch[] = [];
  /** Newest checkpoint the context made durable: the offset log keeps every entry after it. */
  private lastCheckpointMs: number | undefined;
  /** Set by recover(): re-position every owned partition before planning the next batch. */
  private rewindPending = false;
  /** Resolved by a graceful stop (stopReceiving): a plan still waiting on Kafka then gives up. */
  private stopPlanning: () => void = () => {};
  private readonly planningStopped = new Promise<void>((resolve) => {
    this.stopPlanning = resolve;
  });
  private readonly pending = new Map<number, readonly OffsetRange[]>();
  private watch: BrokerWatch | undefined;
  /** The partitions the previous plan could not have offsets for (reported when this changes). */
  private lastMissed = '';

  constructor(
    private readonly options: KafkaDirectStreamOptions<V>,
    private readonly hooks: KafkaSourceHooks = {},
  ) {
    validateKafkaDirectStreamOptions(options);
    this.name = `kafka:${options.topics.join(',')}`;
    this.events = new DirectStreamEvents(this.name, this.stats);
    const deadLetters = new DeadLetters(options, this.events);
    const onDemand = () => this.onDemand;
    this.membership = new GroupMembership(this.name, options, {
      table: this.table,
      events: this.events,
      stats: this.stats,
      deadLetters,
      onDemand,
    });
    this.reads = new KafkaRddReads<V>(this.name, options, {
      table: this.table,
      events: this.events,
      deadLetters,
      reader: () => this.membership.reader(),
      onDemand,
    });
  }

  /** True while the group membership is up and every broker the stream uses answers (broker-watch.ts). */
  get connected(): boolean {
    return this.watch?.verdict().connected ?? false;
  }

  /** Clock time (epoch ms) of the last answer from any broker to any request of the driver. */
  get lastResponseMs(): number | undefined {
    return this.watch?.lastResponseMs;
  }

  /** Why `connected` is false: the broker and what was waited for, or why the group membership is down. */
  get disconnectedReason(): string | undefined {
    if (!this.watch) return 'not started';
    const verdict = this.watch.verdict();
    return verdict.connected ? undefined : verdict.reason;
  }

  /** The options that say where the stream reads (read-only: kafka-input-target.ts describes them). */
  get connectionOptions(): Readonly<KafkaConnectionOptions> {
    return this.options;
  }

  /** Partitions this agent owns now (topic, partition, next offset to plan, committed offset). */
  assignment(): { topic: string; partition: number; current: number; committed: number }[] {
    return this.table.assignment();
  }

  /**
   * Each task reads its range from the partition's leader when it runs (KafkaRangeReader), as
   * Spark's KafkaRDD does: always when executors read the ranges (InputContext.executorsReadInputs),
   * and on this thread too unless the stream asked for `readAhead` (the group consumer fetching
   * into per-partition buffers). Reading on demand decodes with our own record-batch decoder and
   * holds no backlog: in-process it read 1M records at 2.1 times the rate of reading ahead, for
   * half the CPU per record (docs/benchmarks.md).
   */
  private get onDemand(): boolean {
    return this.ctx?.executorsReadInputs === true || this.options.readAhead !== true;
  }

  private started(): InputContext {
    return startedContext(this.ctx, this.name);
  }

  async start(ctx: InputContext): Promise<void> {
    this.ctx = ctx;
    this.events.attach(ctx);
    warnIfKafkajsLeaksAborts();
    const streamDir = this.hooks.checkpointDir
      ? join(this.hooks.checkpointDir, 'kafka', `stream-${ctx.streamId}`)
      : undefined;
    if (streamDir) this.offsetLog = new OffsetLog(streamDir);
    const log = this.offsetLog;
    const policy = this.options.firstBatchAfterRestart ?? 'rerun';
    const checkpointMs = ctx.recoveringFromCheckpointMs;
    let logged: LoggedBatches | undefined;
    if (log) {
      await log.init();
      const { pending, lastCommitted } = await log.state();
      logged = replaysCheckpoint(policy, checkpointMs)
        ? { pending, lastCommitted, allPlanned: await log.allPlanned() }
        : { pending, lastCommitted };
    }
    const restart = planRestart({
      stream: this.name,
      policy,
      log: logged,
      recoveringFromCheckpointMs: checkpointMs,
    });
    this.restart = restart;
    this.replays = restart.replays;
    this.lastCheckpointMs = restart.lastCheckpointMs;
    const watch = new BrokerWatch(
      brokerTiming(ctx.batchIntervalMs),
      (v) => this.events.connectivity(v.connected, v.reason),
      this.options.brokers,
    );
    this.watch = watch;
    watch.start();
    // Beside the offset log (created by its init): the member id a restart rejoins the group as.
    const member = new GroupMemberId(
      streamDir && join(streamDir, 'group-member'),
      this.options.groupId,
      (message) => this.events.failure('assign', message),
    );
    await member.load();
    this.membership.start({ restart, watch, member });
  }

  /** Checkpoint recovery: the logged batch times after the checkpoint, generated again. */
  recoveredBatchTimes(): readonly number[] {
    return this.restart?.recoveringFrom === undefined ? [] : this.replays.map((b) => b.batchTime);
  }

  /**
   * A metadata checkpoint of `batchTimeMs` is durable. Offset log entries after it must survive
   * (recovery replays them); older ones go by the log's own retention, which keeps enough for a
   * fallback to an older checkpoint.
   */
  checkpointed(batchTimeMs: number, _cleanBeforeMs: number): void {
    this.lastCheckpointMs = batchTimeMs;
  }

  async generate(batchTimeMs: number): Promise<InputBatch<KafkaRecord<V>>> {
    const { ranges, high } = await this.planUnlessStopping(batchTimeMs);
    const ctx = this.started();
    const lag = await measureConsumerLag(ranges, {
      planned: high,
      highWatermarks: async (parts) => (await this.membership.highWatermarks(parts))?.offsets,
      table: this.table,
      onDemand: this.onDemand,
      reader: () => this.membership.reader(),
      clock: ctx.clock,
      fetchTimeoutMs: Math.min(1000, this.watch?.timing.requestMs ?? 1000),
    });
    this.pending.set(batchTimeMs, ranges);
    // With no partition assigned there is nothing to log; writing an empty plan would bury an
    // uncommitted batch that still has to be replayed once partitions arrive.
    const log = this.offsetLog;
    if (log && ranges.length > 0)
      await log.writePlanned({ batchTime: batchTimeMs, ranges: { [this.name]: ranges } });
    for (const l of lag) this.events.partitionLag(batchTimeMs, l);
    return this.reads.batch(ctx.rddEnv, ranges, lag);
  }

  /**
   * A graceful stop: plans that wait on Kafka (a group settling, a broker that does not answer, a
   * sink fencing a partition's previous owner) may go on for STOP_PLAN_GRACE_MS after the stop
   * began; then their batches are generated empty. Without this, a stop that met a broker fault
   * waited for a plan 30 s late and hit the shutdown timeout. An empty batch loses nothing:
   * nothing of it was logged or committed, so the sink's offsets (or the offset log) start the
   * next owner where this one stopped.
   */
  stopReceiving(): void {
    this.stopPlanning();
  }

  /** Resolves STOP_PLAN_GRACE_MS after the stop began: one grace for all plans, not one each. */
  private readonly planGraceOver = this.planningStopped.then(
    () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), STOP_PLAN_GRACE_MS)),
  );

  private async planUnlessStopping(batchTimeMs: number): Promise<Planned> {
    const planning = (async () => {
      await this.membership.settled();
      return this.plan(batchTimeMs);
    })();
    // A batch logged before a restart is replayed exactly, never generated empty: a checkpoint
    // after an empty one would let the restart after this one skip the logged ranges.
    if (this.restart && this.replays.length > 0) return planning;
    const planned = await Promise.race([planning, this.planGraceOver]);
    if (planned !== undefined) return planned;
    planning.catch(() => {});
    this.events.failure(
      'consume',
      `batch ${batchTimeMs} is generated empty: the agent is stopping and its plan still waited on Kafka after ${STOP_PLAN_GRACE_MS} ms; nothing of it was logged or committed, so whoever reads the partitions next starts where this agent stopped`,
    );
    return { ranges: [] };
  }

  /**
   * A batch failed because a rebalance took one of its partitions, or because the sink's offsets
   * no longer match its ranges (another agent wrote first). Nothing of it was written by a
   * transactional sink, so the remedy is to re-plan: before the next batch, every owned partition
   * goes back to the sink's offset (or, without a sink, to its last committed offset).
   */
  recover(_batchTimeMs: number, error: unknown): boolean {
    if (remedyOf(error) !== 'replan') return false;
    this.rewindPending = true;
    return true;
  }

  private async plan(batchTimeMs: number): Promise<Planned> {
    if (this.rewindPending) {
      try {
        await this.membership.rewind();
      } catch (error) {
        // The sink's offsets (or Kafka's) could not be read: a broker or the group coordinator
        // did not answer. Nothing is planned until they can be (the rewind is tried again next
        // batch); planning from the old positions would repeat the ranges that just failed.
        const failure = classifyKafkaFailure(error);
        if (!isTransient(failure)) throw error;
        this.events.failure(
          'consume',
          `batch ${batchTimeMs} plans nothing: the offsets to re-plan from could not be read (${failure.what}: ${describeError(error)}); tried again next batch`,
        );
        return { ranges: [] };
      }
      this.rewindPending = false;
      // Batches planned from the old positions are obsolete; the replay of a restart too.
      this.replays = [];
    }
    const parts = this.table.sorted();
    const recoveringFrom = this.restart?.recoveringFrom;
    if (
      recoveringFrom !== undefined &&
      this.replays.length > 0 &&
      (parts.length === 0 || !this.membership.canPlan)
    )
      return this.waitToReplay(batchTimeMs);
    if (parts.length === 0 || !this.membership.canPlan) return { ranges: [] };
    // After a restart the logged batches run again first, each with its logged ranges, for the
    // partitions this agent owns whose position is exactly where the range starts.
    if (this.restart && this.replays.length > 0) {
      const step = nextReplay(this.restart, this.replays, batchTimeMs, this.table.positions());
      this.replays = step.remaining;
      if (step.kind === 'wait') return { ranges: [] };
      if (step.kind === 'replay') return { ranges: this.table.claim(step.ranges) };
    }
    // Bounded, and never a throw for Kafka's sake: partitions whose leader did not answer in time
    // (or moved, or is being elected) get no range this batch and keep their position.
    const answer = await this.membership.highWatermarks(parts);
    const high = answer?.offsets ?? new Map<string, number>();
    this.reportMissed(batchTimeMs, answer?.missed);
    const positions = parts
      .filter((a) => high.has(topicPartitionKey(a.topic, a.partition)))
      .map((a) => ({
        topic: a.topic,
        partition: a.partition,
        current: a.current,
        latest: high.get(topicPartitionKey(a.topic, a.partition)) ?? a.current,
      }));
    const ranges = planOffsetRanges(positions, {
      batchIntervalMs: this.started().batchIntervalMs,
      maxRatePerPartition: this.options.maxRatePerPartition,
      minRatePerPartition: this.options.minRatePerPartition,
      rate: this.hooks.rate?.(),
    });
    // A rebalance may have revoked partitions while the watermarks were fetched: plan only what
    // is still owned.
    return { ranges: this.table.claim(ranges), high };
  }

  /** An input-error when the partitions a plan had to leave out change (not once per batch). */
  private reportMissed(batchTimeMs: number, missed: ReadonlyMap<string, string> | undefined): void {
    const keys = [...(missed?.keys() ?? [])].sort().join(',');
    if (keys === this.lastMissed) return;
    this.lastMissed = keys;
    if (!missed || missed.size === 0) return;
    const why = [...new Set(missed.values())].join('; ');
    this.events.failure(
      'consume',
      `batch ${batchTimeMs} plans nothing for ${[...missed.keys()].join(', ')}: no offsets from Kafka in time (${why}); their positions are kept and a later batch plans them`,
    );
  }

  /**
   * Checkpoint recovery cannot go on before the partitions are assigned: a batch generated
   * without its logged ranges would let a later checkpoint cover data that was never processed.
   * Waits for the assignment, then plans again. While Kafka does not answer (or the group has not
   * formed) it waits as long as it takes, reporting every minute: a logged range is replayed
   * exactly, never skipped. Only a group that is connected and still gives this agent no
   * partition for the limit is fatal (the other members own them: the logged batches are not
   * this agent's to replay).
   */
  private async waitToReplay(batchTimeMs: number): Promise<Planned> {
    const limitMs = Math.max(this.options.fetchTimeoutMs ?? 30_000, 60_000);
    const membership = this.membership;
    const started = Date.now();
    let reportedAt = started;
    let connectedMs = 0;
    let last = started;
    while (!membership.stopped && (this.table.size === 0 || !membership.canPlan)) {
      const now = Date.now();
      if (membership.connected && this.connected) connectedMs += now - last;
      last = now;
      if (connectedMs > limitMs) {
        throw new SidestreamError(
          'SS_SOURCE_FAILED',
          `${this.name}: no partition was assigned within ${limitMs} ms, so the batches logged after the checkpoint cannot be replayed; check that Kafka is reachable and the group can rebalance`,
        );
      }
      if (now - reportedAt >= 60_000) {
        reportedAt = now;
        this.events.failure(
          'assign',
          `the batches logged after the checkpoint wait for their partitions (${Math.round((now - started) / 1000)} s so far): ${this.disconnectedReason ?? 'no partition assigned yet'}; they are replayed exactly once Kafka answers`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      await membership.settled();
    }
    if (membership.stopped) return { ranges: [] };
    return this.plan(batchTimeMs);
  }

  /**
   * After every output of the batch succeeded: the commit entry, then the until-offsets to Kafka
   * (best effort: the offset log is the source of truth; Kafka's copy is for outside lag tools).
   */
  async commit(batchTimeMs: number): Promise<void> {
    const ranges = this.pending.get(batchTimeMs) ?? [];
    if (this.offsetLog && ranges.length > 0) {
      await this.offsetLog.writeCommit(batchTimeMs);
      await this.offsetLog.cleanup(this.lastCheckpointMs ?? this.restart?.recoveringFrom);
    }
    await this.membership.commit(batchTimeMs, ranges);
  }

  /** The batch is over (committed or failed): its records are no longer needed in memory. */
  release(batchTimeMs: number): void {
    const ranges = this.pending.get(batchTimeMs) ?? [];
    this.pending.delete(batchTimeMs);
    this.table.release(ranges);
  }

  /** In an executor worker (this copy is never started): reads the ranges the driver planned. */
  remoteRead(
    env: RddEnv,
    numPartitions: number,
    reads: Readonly<Record<number, unknown>>,
  ): RemoteReadRdd<KafkaRecord<V>> {
    return this.reads.remoteRead(env, numPartitions, reads);
  }

  async stop(): Promise<void> {
    await this.membership.stop();
    this.watch?.stop();
  }
}

/** Whether `error`, or an error in its cause chain, is a SidestreamError with one of `codes`. */
