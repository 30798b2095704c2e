/**
 * kafkaDirectStream: Spark's direct approach on kafkajs. The engine, not a receiver, decides what
 * each batch reads: at every batch time it plans `[from, until)` per assigned partition (from the
 * previous batch's until, up to the high watermark, capped by maxRatePerPartition and
 * backpressure), writes the plan to the offset log BEFORE the batch runs, and the batch's tasks
 * read exactly those ranges. After every output succeeded the batch is committed: a commit entry
 * in the offset log, then the until-offsets committed to Kafka, so kafka-consumer-groups and lag
 * exporters see where the stream is.
 *
 * Partitions come from Kafka's group protocol (agents sharing a groupId share the partitions);
 * kafkajs' group consumer does the fetching into per-partition buffers, and the task for a range
 * waits until the buffer has fetched past its until-offset. Every planned batch also measures
 * each partition's consumer lag (posted as 'partition-lag' and kept in the batch record), and
 * records the decoder rejects can be dead-lettered to a topic. docs/kafka.md is the user's guide.
 */
// Before kafkajs: its consumer must get the correct read_committed filter (see the module).
import './kafkajs-read-committed.js';
import { join } from 'node:path';
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  Kafka,
  type KafkaConfig,
  logLevel as KafkaLogLevel,
  type Producer,
} from 'kafkajs';
import type { InputBatch, InputContext, InputSource, RemoteReadRdd } from '../../dstream/input-source.js';
import { RDD, type RddEnv } from '../../dstream/rdd.js';
import { describeError, SidestreamError } from '../../errors.js';
import type { PartitionLag } from '../../events/index.js';
import type { InputOperation } from '../../events/input-events.js';
import { OffsetLog, type PlannedBatch } from '../../state/offset-log.js';
import { type OffsetRange, parseTopicPartitionKey, topicPartitionKey } from '../../topic-partition.js';
import { type Decode, decodeRange, defaultDecode, type Rejected } from './decode-range.js';
import { KafkaRangeReader, type OffsetsDeleted, toRawMessage } from './kafka-range-reader.js';
import type { KafkaRecord, RawKafkaMessage } from './kafka-record.js';
import { warnIfKafkajsLeaksAborts } from './kafkajs-read-committed.js';
import { planOffsetRanges } from './offset-range-planner.js';
import type { OffsetStore } from './offset-store.js';
import { PartitionBuffer } from './partition-buffer.js';

/** What to do with the batch that was planned but not committed when the agent stopped. */
export type FirstBatchPolicy = 'skip' | 'rerun';

export interface KafkaDirectStreamOptions<V = string | null> {
  brokers: string[];
  topics: string[];
  groupId: string;
  clientId?: string;
  /** Where a partition with no committed offset starts; default 'latest' (Spark's default). */
  startingOffsets?: 'earliest' | 'latest';
  /** Records/s per partition; default: no cap. */
  maxRatePerPartition?: number;
  /** Records/s per partition a cap never goes below; default 1. */
  minRatePerPartition?: number;
  /** Event time of a record, epoch ms; default: its Kafka timestamp. */
  eventTime?: (record: KafkaRecord<V>) => number;
  /** Turns the raw value into V; default: UTF-8 text (null stays null). A throw counts as a record error. */
  decode?: (value: Buffer | null, raw: RawKafkaMessage) => V;
  /**
   * The planned-but-uncommitted batch found at start: 'rerun' (default) runs it again with the
   * same ranges (at-least-once; exactly-once with a transactional or UID-deduplicating sink);
   * 'skip' moves past it (at-most-once).
   */
  firstBatchAfterRestart?: FirstBatchPolicy;
  /**
   * A transactional sink's offsets (PostgresTransactionalSink implements this): where newly
   * assigned partitions start, ahead of the offsets committed to Kafka.
   */
  offsetStore?: OffsetStore;
  /** How long a task waits for the consumer to fetch its range before failing (and retrying). */
  fetchTimeoutMs?: number;
  /**
   * Records the decoder rejects are produced here (original key, value, headers and timestamp,
   * plus `sidestream-error`, `sidestream-error-type`, `sidestream-source-topic`,
   * `sidestream-source-partition`, `sidestream-source-offset` headers) before their batch goes on.
   * The topic must exist. Default: rejected records are only counted.
   */
  deadLetterTopic?: string;
  /**
   * How often the consumer refreshes topic metadata, ms (kafkajs' metadataMaxAge); partitions
   * added to a subscribed topic are picked up within about this long. Default 30000.
   */
  metadataMaxAgeMs?: number;
  /**
   * Group membership timing, passed to the kafkajs consumer (its defaults when absent), and
   * `maxWaitTimeMs`: how long the broker may hold a fetch that finds nothing new. Default 500
   * (the Java consumer's fetch.max.wait.ms), not kafkajs' 5000: a fetch in flight delays seeks,
   * noticing a rebalance and disconnecting by up to this long.
   */
  consumer?: {
    sessionTimeoutMs?: number;
    heartbeatIntervalMs?: number;
    rebalanceTimeoutMs?: number;
    maxWaitTimeMs?: number;
  };
  /** kafkajs client settings passed through (ssl, sasl, connectionTimeout, retry, ...). */
  kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'>;
}

export interface KafkaSourceHooks {
  /** The context's checkpoint directory: the offset log lives under it. None: no offset log. */
  readonly checkpointDir?: string;
  /** The current backpressure rate (records/s) for the stream, if backpressure is on. */
  rate?(): number | undefined;
}

interface Assigned {
  readonly topic: string;
  readonly partition: number;
  buffer: PartitionBuffer;
  /** Next offset to plan from. */
  current: number;
  /** Where the group resumes: the until-offset last committed, or where the partition started. */
  committed: number;
  /** eachBatch passed over the fetched batch: kafkajs' END_BATCH_PROCESS must not advance the buffer. */
  skipBatchEnd: boolean;
}

/** What a worker reads for one partition of a batch (RemoteRead.describe). */
interface RangeReadRequest {
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: number;
  readonly untilOffset: number;
  /** Offsets an earlier attempt already rejected and the driver dead-lettered and reported. */
  readonly handled: readonly number[];
}

/** What a worker's read of one partition produced besides records (RemoteRead.accept). */
interface RangeReadOutput {
  readonly eventTimes: Float64Array;
  readonly links: string[];
  readonly rejected: { raw: RawKafkaMessage; error: { name: string; message: string } }[];
  /** Retention had deleted the start of the range (the driver reports it). */
  readonly deleted?: OffsetsDeleted;
}

export class KafkaDirectSource<V = string | null> implements InputSource<KafkaRecord<V>> {
  readonly name: string;
  private ctx: InputContext | undefined;
  private kafka: Kafka | undefined;
  private admin: Admin | undefined;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  /** Dead-letter sends, one at a time (kafkajs' idempotent producer misorders concurrent sends). */
  private deadLetterChain: Promise<unknown> = Promise.resolve();
  /** Partitions per topic when the stream first connected; one added later starts at its earliest offset. */
  private initialPartitions: Map<string, Set<number>> | undefined;
  /** High watermarks fetched by the latest plan, reused to measure its lag. */
  private plannedHigh: Map<string, number> | undefined;
  private readonly assigned = new Map<string, Assigned>();
  /** Batches planned but not committed before the restart, re-run first, oldest first. */
  private replays: PlannedBatch[] = [];
  /** Set by recover(): re-position every owned partition before planning the next batch. */
  private rewindPending = false;
  /** Ends the connect loop's backoff sleep (set while it sleeps). */
  private wakeConnectLoop: (() => void) | undefined;
  /** Where each partition of those batches starts: the oldest uncommitted from-offset. */
  private replayStart = new Map<string, number>();
  /** Until-offsets of the newest committed batch in the offset log (a clean restart resumes there). */
  private loggedPositions = new Map<string, number>();
  /** 'skip' found an uncommitted batch: its until-offsets win over every other position. */
  private skipsUncommitted = false;
  private offsetLog: OffsetLog | undefined;
  /**
   * Recovering from a metadata checkpoint at this batch time: every logged batch after it runs
   * again at its own batch time (committed or not: the checkpointed state lacks it).
   */
  private recoveringFrom: number | undefined;
  /** Replays (checkpoint recovery) that the offset log had committed before the restart. */
  private readonly committedReplays = new Set<number>();
  /** Newest checkpoint the context made durable: the offset log keeps every entry after it. */
  private lastCheckpointMs: number | undefined;
  private readonly pending = new Map<number, readonly OffsetRange[]>();
  private isConnected = false;
  private stopped = false;
  private connectLoop: Promise<void> | undefined;
  private assignmentChange: Promise<void> = Promise.resolve();
  /** Counts kept for status and tests. */
  /** consumerFetched: records the group consumer fetched on this thread (none when executors read). */
  readonly stats = { recordErrors: 0, deadLettered: 0, rebalances: 0, offsetResets: 0, consumerFetched: 0 };

  constructor(
    private readonly options: KafkaDirectStreamOptions<V>,
    private readonly hooks: KafkaSourceHooks = {},
  ) {
    if (options.topics.length === 0)
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        'kafkaDirectStream: topics must name at least one topic',
      );
    if (options.brokers.length === 0)
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        'kafkaDirectStream: brokers must name at least one host:port',
      );
    if (!options.groupId)
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        'kafkaDirectStream: groupId is required (agents sharing it share the partitions)',
      );
    if (options.deadLetterTopic !== undefined && options.topics.includes(options.deadLetterTopic))
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `kafkaDirectStream: deadLetterTopic '${options.deadLetterTopic}' is one of the stream's topics, so rejected records would be read again; use a separate topic`,
      );
    if (options.deadLetterTopic === '')
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        'kafkaDirectStream: deadLetterTopic must be a topic name (leave it out to only count rejected records)',
      );
    const age = options.metadataMaxAgeMs;
    if (age !== undefined && !(Number.isInteger(age) && age > 0))
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `kafkaDirectStream: metadataMaxAgeMs must be a positive whole number of milliseconds (got ${age})`,
      );
    this.name = `kafka:${options.topics.join(',')}`;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  private failure(operation: InputOperation, message: string): void {
    if (this.ctx) inputError(this.ctx, this.name, operation, message);
  }

  /** Partitions this agent owns now (topic, partition, next offset to plan, committed offset). */
  assignment(): { topic: string; partition: number; current: number; committed: number }[] {
    return [...this.assigned.values()].map((a) => ({
      topic: a.topic,
      partition: a.partition,
      current: a.current,
      committed: a.committed,
    }));
  }

  private kafkaClient(): Kafka {
    return new Kafka({
      ...this.options.kafka,
      brokers: this.options.brokers,
      clientId: this.options.clientId ?? `sidestream-${this.options.groupId}`,
      logLevel: this.options.kafka?.logLevel ?? KafkaLogLevel.NOTHING,
    });
  }

  async start(ctx: InputContext): Promise<void> {
    this.ctx = ctx;
    warnIfKafkajsLeaksAborts();
    if (this.hooks.checkpointDir) {
      this.offsetLog = new OffsetLog(join(this.hooks.checkpointDir, 'kafka', `stream-${ctx.streamId}`));
    }
    const log = this.offsetLog;
    const rerunPolicy = (this.options.firstBatchAfterRestart ?? 'rerun') === 'rerun';
    if (log && rerunPolicy && ctx.recoveringFromCheckpointMs !== undefined) {
      await log.init();
      await this.planCheckpointReplay(log, ctx.recoveringFromCheckpointMs);
    } else if (log) {
      await log.init();
      const state = await log.state();
      const rerun = rerunPolicy;
      // Positions after the newest batch that counts as done: the newest committed one, and with
      // 'skip' (at-most-once) every uncommitted one too.
      const done = [...(state.lastCommitted ? [state.lastCommitted] : []), ...(rerun ? [] : state.pending)];
      for (const batch of done) {
        for (const r of batch.ranges[this.name] ?? []) {
          this.loggedPositions.set(topicPartitionKey(r.topic, r.partition), r.untilOffset);
        }
      }
      if (rerun) {
        this.replays = [...state.pending];
        for (const batch of state.pending) {
          for (const r of batch.ranges[this.name] ?? []) {
            const key = topicPartitionKey(r.topic, r.partition);
            if (!this.replayStart.has(key)) this.replayStart.set(key, r.fromOffset);
          }
        }
      } else {
        this.skipsUncommitted = state.pending.length > 0;
      }
    }
    this.kafka = this.kafkaClient();
    // Connecting must not block start: an unreachable broker is retried with backoff while the
    // engine runs empty batches and /readyz stays false.
    this.connectLoop = this.connectWithRetry();
  }

  /**
   * Recovery from a metadata checkpoint at `checkpointMs`: partitions resume where the newest
   * batch at or before it left them, and every logged batch after it is replayed, in order, each
   * at its own batch time. ('skip' keeps the restart rule above: at-most-once, state included.)
   */
  private async planCheckpointReplay(log: OffsetLog, checkpointMs: number): Promise<void> {
    this.recoveringFrom = checkpointMs;
    this.lastCheckpointMs = checkpointMs;
    const newestCommit = (await log.state()).lastCommitted?.batchTime ?? Number.NEGATIVE_INFINITY;
    for (const batch of await log.allPlanned()) {
      if (batch.batchTime > checkpointMs && batch.batchTime <= newestCommit)
        this.committedReplays.add(batch.batchTime);
      if (batch.batchTime <= checkpointMs) {
        for (const r of batch.ranges[this.name] ?? [])
          this.loggedPositions.set(topicPartitionKey(r.topic, r.partition), r.untilOffset);
        continue;
      }
      this.replays.push(batch);
      for (const r of batch.ranges[this.name] ?? []) {
        const key = topicPartitionKey(r.topic, r.partition);
        if (!this.replayStart.has(key)) this.replayStart.set(key, r.fromOffset);
      }
    }
  }

  /** Checkpoint recovery: the logged batch times after the checkpoint, generated again. */
  recoveredBatchTimes(): readonly number[] {
    return this.recoveringFrom === undefined ? [] : this.replays.map((b) => b.batchTime);
  }

  /**
   * A metadata checkpoint of `batchTimeMs` is durable. Offset log entries after it must survive
   * (recovery replays them); older ones go by the log's own retention, which keeps enough for a
   * fallback to an older checkpoint.
   */
  checkpointed(batchTimeMs: number, _cleanBeforeMs: number): void {
    this.lastCheckpointMs = batchTimeMs;
  }

  private async connectWithRetry(): Promise<void> {
    let delay = 500;
    while (!this.stopped) {
      try {
        await this.connectOnce();
        return;
      } catch (error) {
        this.failure(
          'connect',
          `cannot reach Kafka at ${this.options.brokers.join(',')}: ${describeError(error)}; retrying in ${delay} ms`,
        );
        await this.disconnectQuietly();
        // The backoff sleep ends early when the stream stops, so a stop is never held up by it.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeConnectLoop = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeConnectLoop = undefined;
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  private async connectOnce(): Promise<void> {
    const kafka = this.kafka!;
    const admin = kafka.admin();
    await admin.connect();
    this.admin = admin;
    const known = new Set(await admin.listTopics());
    const missing = this.options.topics.filter((t) => !known.has(t));
    if (missing.length > 0) {
      throw new SidestreamError(
        'SS_SOURCE_FAILED',
        `topic(s) ${missing.join(', ')} do not exist on ${this.options.brokers.join(',')}; create them or fix the topic names`,
      );
    }
    const deadLetterTopic = this.options.deadLetterTopic;
    if (deadLetterTopic !== undefined && !known.has(deadLetterTopic)) {
      throw new SidestreamError(
        'SS_SOURCE_FAILED',
        `dead-letter topic ${deadLetterTopic} does not exist on ${this.options.brokers.join(',')}; create it or fix deadLetterTopic`,
      );
    }
    if (!this.initialPartitions) {
      const initial = new Map<string, Set<number>>();
      for (const topic of this.options.topics)
        initial.set(topic, new Set((await admin.fetchTopicOffsets(topic)).map((o) => o.partition)));
      this.initialPartitions = initial;
    }
    if (deadLetterTopic !== undefined) {
      // Idempotent, so a send kafkajs retries internally is written once. Its retries stay
      // bounded (kafkajs' idempotent default is unbounded): a send that keeps failing fails its
      // task, and the engine retries the task.
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { ...this.options.kafka?.retry, retries: this.options.kafka?.retry?.retries ?? 5 },
      });
      await producer.connect();
      this.producer = producer;
    }
    const consumer = kafka.consumer({
      groupId: this.options.groupId,
      allowAutoTopicCreation: false,
      readUncommitted: false,
      metadataMaxAge: this.options.metadataMaxAgeMs ?? 30_000,
      maxWaitTimeInMs: this.options.consumer?.maxWaitTimeMs ?? 500,
      ...(this.options.consumer?.sessionTimeoutMs
        ? { sessionTimeout: this.options.consumer.sessionTimeoutMs }
        : {}),
      ...(this.options.consumer?.heartbeatIntervalMs
        ? { heartbeatInterval: this.options.consumer.heartbeatIntervalMs }
        : {}),
      ...(this.options.consumer?.rebalanceTimeoutMs
        ? { rebalanceTimeout: this.options.consumer.rebalanceTimeoutMs }
        : {}),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment as Record<string, number[]>;
      // Hold newly assigned partitions until onAssignment has positioned them (this runs before
      // kafkajs' first fetch of the new generation). Fetched right away from the group's
      // committed offset, a partition whose offset retention has deleted would hit kafkajs'
      // OFFSET_OUT_OF_RANGE recovery, which COMMITS its default offset to the group: the stored
      // offset would be overwritten before startingPositions reads it, and the reset go unreported.
      // With executors reading the ranges themselves, the consumer only holds the membership:
      // every partition stays paused, nothing is fetched on the driver.
      const fresh = Object.entries(assignment)
        .map(([topic, partitions]) => ({
          topic,
          partitions: this.onDemand
            ? partitions
            : partitions.filter((p) => !this.assigned.has(topicPartitionKey(topic, p))),
        }))
        .filter((t) => t.partitions.length > 0);
      if (fresh.length > 0) consumer.pause(fresh);
      this.assignmentChange = this.assignmentChange
        .then(() => this.onAssignment(assignment))
        .catch((error) => {
          this.failure('assign', `applying a new partition assignment failed: ${describeError(error)}`);
        });
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      // Also fires for batches that held only control records or aborted data (eachBatch never
      // sees those): move past them. Not past a batch eachBatch passed over, though.
      const { topic, partition, lastOffset } = event.payload as {
        topic: string;
        partition: number;
        lastOffset: string;
      };
      const a = this.assigned.get(topicPartitionKey(topic, partition));
      if (!a) return;
      if (a.skipBatchEnd) {
        a.skipBatchEnd = false;
        return;
      }
      a.buffer.advance(a.buffer.epoch, Number(lastOffset) + 1);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.isConnected = false;
      this.failure('consume', `Kafka consumer crashed: ${describeError(event.payload.error)}`);
    });
    await consumer.connect();
    // Every assigned partition is positioned by an explicit seek (startingPositions), so
    // kafkajs' own default only matters where kafkajs moves a position by itself: a position
    // below the low watermark (retention) is reset to it. 'earliest' makes that the documented
    // fallback instead of a jump to the end; onFetched reports it.
    await consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onFetched(payload),
    });
    this.isConnected = true;
  }

  private async onFetched({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const a = this.assigned.get(topicPartitionKey(batch.topic, batch.partition));
    if (!a) return;
    if (!isRunning() || isStale()) {
      a.skipBatchEnd = true;
      return;
    }
    const epoch = a.buffer.epoch;
    // Where kafkajs fetched this batch from: its Batch has it, its type declarations do not.
    const fetchedFrom = Number((batch as unknown as { fetchedOffset: string }).fetchedOffset);
    const position = a.buffer.position;
    if (fetchedFrom > position) {
      // Every other move of the fetch position is a seek to the buffer's position; this one is
      // kafkajs resetting a position below the low watermark (OFFSET_OUT_OF_RANGE: retention
      // deleted the records before they were fetched). They are gone: say so, and go on from the
      // earliest retained offset, so tasks waiting for them finish with what exists.
      this.reportDeleted(batch, { storedOffset: position, resetTo: fetchedFrom });
    }
    const messages: RawKafkaMessage[] = batch.messages.map(toRawMessage);
    this.stats.consumerFetched += messages.length;
    a.buffer.append(epoch, messages, Number(batch.lastOffset()));
    // Resolving moves kafkajs' fetch position on; nothing is committed to Kafka here.
    resolveOffset(batch.lastOffset());
    await heartbeat();
  }

  private rangeReader: KafkaRangeReader | undefined;

  /** Executors read the ranges (InputContext.executorsReadInputs): the driver fetches on demand only. */
  private get onDemand(): boolean {
    return this.ctx?.executorsReadInputs === true;
  }

  /** Reads straight from partition leaders, without the group (executor workers, on-demand driver reads). */
  private reader(): KafkaRangeReader {
    this.rangeReader ??= new KafkaRangeReader(this.kafka ?? this.kafkaClient(), {
      maxWaitTimeMs: this.options.consumer?.maxWaitTimeMs ?? 500,
      metadataMaxAgeMs: this.options.metadataMaxAgeMs ?? 30_000,
    });
    return this.rangeReader;
  }

  /** A range read on the driver while executors read the others (a task that runs in-process). */
  private async readOnDemand(r: OffsetRange, timeoutMs: number): Promise<RawKafkaMessage[]> {
    const { messages, deleted } = await this.reader().read(
      r.topic,
      r.partition,
      r.fromOffset,
      r.untilOffset,
      timeoutMs,
    );
    if (deleted) this.reportDeleted(r, deleted);
    return messages;
  }

  /** Retention deleted `[storedOffset, resetTo)` of a range before it was read, as onFetched reports it. */
  private reportDeleted(r: { topic: string; partition: number }, deleted: OffsetsDeleted): void {
    this.stats.offsetResets++;
    const ctx = this.ctx;
    ctx?.report({
      type: 'offsets-reset',
      streamId: ctx.streamId,
      stream: this.name,
      topic: r.topic,
      partition: r.partition,
      storedOffset: deleted.storedOffset,
      resetTo: deleted.resetTo,
      reason: `offsets [${deleted.storedOffset}, ${deleted.resetTo}) were deleted (retention) before they were read; resuming from the earliest retained offset`,
    });
  }

  /**
   * In an executor worker (this copy of the source is never started): a batch's Kafka input
   * whose partitions this worker reads itself, exactly the ranges the driver planned, over its
   * own connection to each partition's leader (KafkaRangeReader). The records never pass
   * through the driver; what the driver still needs (event times, trace links, rejected
   * records to dead-letter and report) goes back as the partitions' side outputs.
   */
  remoteRead(
    env: RddEnv,
    numPartitions: number,
    reads: Readonly<Record<number, unknown>>,
  ): RemoteReadRdd<KafkaRecord<V>> {
    const decode = this.options.decode ?? (defaultDecode as unknown as Decode<V>);
    const eventTime = this.options.eventTime;
    const timeoutMs = this.options.fetchTimeoutMs ?? 30_000;
    const reader = this.reader();
    const outputs = new Map<number, RangeReadOutput>();
    const rdd = new RDD<KafkaRecord<V>>(
      env,
      numPartitions,
      async (p, sink) => {
        const r = reads[p] as RangeReadRequest | undefined;
        if (!r) return;
        // A range whose start retention deleted is read from the earliest retained offset; the
        // driver reports the gap (offsets-reset).
        const { messages, deleted } = await reader.read(
          r.topic,
          r.partition,
          r.fromOffset,
          r.untilOffset,
          timeoutMs,
        );
        const decoded = decodeRange(
          messages,
          r.topic,
          r.partition,
          { decode, eventTime, handled: new Set(r.handled), cloneable: true },
          sink,
        );
        outputs.set(p, {
          eventTimes: decoded.eventTimes,
          links: decoded.links,
          rejected: decoded.rejected.map(({ raw, error }) => ({
            raw,
            error:
              error instanceof Error
                ? { name: error.name, message: error.message }
                : { name: typeof error, message: String(error) },
          })),
          ...(deleted ? { deleted } : {}),
        });
      },
      this.name,
    );
    rdd.offsetRanges = Object.values(reads).map((r) => {
      const { topic, partition, fromOffset, untilOffset } = r as RangeReadRequest;
      return { topic, partition, fromOffset, untilOffset };
    });
    return { rdd, sideOutputs: () => [...outputs].map(([partition, data]) => ({ partition, data })) };
  }

  /** A new assignment from the group: forget revoked partitions, position the new ones. */
  private async onAssignment(assignment: Record<string, number[]>): Promise<void> {
    const wanted = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) wanted.add(topicPartitionKey(topic, p));
    }
    const revoked = [...this.assigned.keys()].filter((k) => !wanted.has(k));
    for (const k of revoked) {
      // Reads of a planned range that can no longer be fetched fail at once (the batch is then
      // re-planned through recover()) instead of waiting out the fetch timeout.
      this.assigned.get(k)?.buffer.revoke(`${this.name} partition ${k}`);
      this.assigned.delete(k);
    }
    // A new generation restarts kafkajs' fetching of retained partitions from the offsets
    // committed to Kafka (or the earliest offset): send it back to where the buffer is.
    for (const a of this.assigned.values())
      this.consumer?.seek({ topic: a.topic, partition: a.partition, offset: String(a.buffer.position) });
    const added: { topic: string; partition: number }[] = [];
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        if (!this.assigned.has(topicPartitionKey(topic, partition))) added.push({ topic, partition });
      }
    }
    this.stats.rebalances++;
    const ctx = this.ctx;
    ctx?.report({
      type: 'rebalance',
      streamId: ctx.streamId,
      stream: this.name,
      assigned: added,
      revoked: revoked.map(parseTopicPartitionKey),
    });
    const starts = added.length === 0 ? new Map<string, number>() : await this.startingPositions(added);
    for (const { topic, partition } of added) {
      const start = starts.get(topicPartitionKey(topic, partition))!;
      const buffer = new PartitionBuffer(start);
      this.assigned.set(topicPartitionKey(topic, partition), {
        topic,
        partition,
        buffer,
        current: start,
        committed: start,
        skipBatchEnd: false,
      });
      this.consumer!.seek({ topic, partition, offset: String(start) });
    }
    // Positioned: let kafkajs fetch them (held since GROUP_JOIN; resuming is idempotent). Not
    // when the ranges are read on demand (executors): the consumer keeps the membership only.
    if (!this.onDemand)
      this.consumer?.resume(Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions })));
  }

  /**
   * Where newly assigned partitions start: with 'skip', after the skipped batches; else the
   * sink's offset store; else the oldest uncommitted batch's from-offset (re-run); else this
   * agent's offset log; else the offset committed to Kafka by whoever owned the partition last
   * (it lags the log by a batch after a crash); else startingOffsets. A stored offset outside
   * the partition's retained range falls back to the earliest offset.
   */
  private async startingPositions(
    parts: { topic: string; partition: number }[],
  ): Promise<Map<string, number>> {
    const admin = this.admin!;
    const out = new Map<string, number>();
    const replayed = this.replayStart;
    for (const topic of new Set(parts.map((p) => p.topic))) {
      const watermarks = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o]));
      const committed = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
      const committedByPartition = new Map(
        (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)] as const),
      );
      const sinkOffsets =
        (await this.options.offsetStore?.fetchOffsets(
          topic,
          parts.filter((p) => p.topic === topic).map((p) => p.partition),
        )) ?? new Map<number, number>();
      for (const { partition } of parts.filter((p) => p.topic === topic)) {
        const key = topicPartitionKey(topic, partition);
        const low = Number(watermarks.get(partition)?.low ?? 0);
        const high = Number(watermarks.get(partition)?.high ?? 0);
        // The sink's offsets are exact where there is one; replayed batches start where the
        // oldest uncommitted one did; otherwise the newest committed batch, then Kafka.
        let start =
          (this.skipsUncommitted ? this.loggedPositions.get(key) : undefined) ??
          sinkOffsets.get(partition) ??
          replayed.get(key) ??
          this.loggedPositions.get(key) ??
          committedByPartition.get(partition) ??
          -1;
        replayed.delete(key);
        if (start < 0) {
          // Nothing stored: startingOffsets, except for a partition added to the topic after the
          // stream first connected, whose records are all new (Structured Streaming's rule).
          const added = !(this.initialPartitions?.get(topic)?.has(partition) ?? true);
          start = this.options.startingOffsets === 'earliest' || added ? low : high;
        }
        if (start < low || start > high) {
          // Documented fallback, never silent: retention deleted what we would read next (or the
          // topic was recreated); resume from the earliest retained record and say so.
          this.stats.offsetResets++;
          this.ctx?.report({
            type: 'offsets-reset',
            streamId: this.ctx.streamId,
            stream: this.name,
            topic,
            partition,
            storedOffset: start,
            resetTo: low,
            reason: `stored offset ${start} is outside the retained range [${low}, ${high}]`,
          });
          start = low;
        }
        out.set(key, start);
      }
    }
    return out;
  }

  async generate(batchTimeMs: number): Promise<InputBatch<KafkaRecord<V>>> {
    await this.assignmentChange;
    this.plannedHigh = undefined;
    const ranges = await this.plan(batchTimeMs);
    const lag = await this.lagAfter(ranges);
    this.pending.set(batchTimeMs, ranges);
    // With no partition assigned there is nothing to log; writing an empty plan would bury an
    // uncommitted batch that still has to be replayed once partitions arrive.
    const log = this.offsetLog;
    if (log && ranges.length > 0)
      await log.writePlanned({ batchTime: batchTimeMs, ranges: { [this.name]: ranges } });
    const ctx = this.ctx!;
    for (const l of lag)
      ctx.report({
        type: 'partition-lag',
        streamId: ctx.streamId,
        stream: this.name,
        batchTime: batchTimeMs,
        ...l,
      });
    return this.batchFor(ranges, lag);
  }

  /**
   * A batch failed because a rebalance took one of its partitions, or because the sink's offsets
   * no longer match its ranges (another agent wrote first). Nothing of it was written by a
   * transactional sink, so the remedy is to re-plan: before the next batch, every owned partition
   * goes back to the sink's offset (or, without a sink, to its last committed offset).
   */
  recover(_batchTimeMs: number, error: unknown): boolean {
    if (!hasCode(error, ['SS_PARTITION_REVOKED', 'SS_SINK_OFFSET_CONFLICT'])) return false;
    this.rewindPending = true;
    return true;
  }

  private async rewind(): Promise<void> {
    this.rewindPending = false;
    const byTopic = new Map<string, Assigned[]>();
    for (const a of this.assigned.values()) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a]);
    for (const [topic, owned] of byTopic) {
      const stored =
        (await this.options.offsetStore?.fetchOffsets(
          topic,
          owned.map((a) => a.partition),
        )) ?? new Map<number, number>();
      for (const a of owned) {
        const start = stored.get(a.partition) ?? a.committed;
        if (start === a.current) continue;
        a.current = start;
        a.buffer.reset(start);
        this.consumer?.seek({ topic, partition: a.partition, offset: String(start) });
      }
    }
    // Batches planned from the old positions are obsolete; the replay of a restart too.
    this.replays = [];
  }

  private async plan(batchTimeMs: number): Promise<OffsetRange[]> {
    if (this.rewindPending) await this.rewind();
    const parts = [...this.assigned.values()].sort((a, b) =>
      a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
    );
    if (this.recoveringFrom !== undefined && this.replays.length > 0 && (parts.length === 0 || !this.admin))
      return this.waitToReplay(batchTimeMs);
    if (parts.length === 0 || !this.admin) return [];
    // After a restart the uncommitted batches run again first, each with its logged ranges, for
    // the partitions this agent owns whose position is exactly where the range starts (a
    // partition assigned later, or positioned elsewhere, is planned afresh from its start).
    while (this.replays.length > 0) {
      // Checkpoint recovery replays each logged batch at its own time: a batch time before the
      // next logged one gets nothing (it had nothing before the crash either).
      if (this.recoveringFrom !== undefined && this.replays[0]!.batchTime > batchTimeMs) return [];
      const replay = this.replays.shift()!;
      const old = (replay.ranges[this.name] ?? []).filter(
        (r) => this.assigned.get(topicPartitionKey(r.topic, r.partition))?.current === r.fromOffset,
      );
      for (const r of old)
        this.assigned.get(topicPartitionKey(r.topic, r.partition))!.current = r.untilOffset;
      // A committed batch replayed for a checkpoint recovery whose matching ranges are all empty
      // (the others were already applied by a sink) changes nothing: it is passed over.
      const onlyEmpty = old.every((r) => r.untilOffset === r.fromOffset);
      if (old.length > 0 && !(onlyEmpty && this.committedReplays.has(replay.batchTime))) return old;
    }
    const high = new Map<string, number>();
    for (const topic of new Set(parts.map((p) => p.topic))) {
      for (const o of await this.admin.fetchTopicOffsets(topic))
        high.set(topicPartitionKey(topic, o.partition), Number(o.high));
    }
    this.plannedHigh = high;
    const positions = parts.map((a) => ({
      topic: a.topic,
      partition: a.partition,
      current: a.current,
      latest: high.get(topicPartitionKey(a.topic, a.partition)) ?? a.current,
    }));
    const ranges = planOffsetRanges(positions, {
      batchIntervalMs: this.ctx!.batchIntervalMs,
      maxRatePerPartition: this.options.maxRatePerPartition,
      minRatePerPartition: this.options.minRatePerPartition,
      rate: this.hooks.rate?.(),
    });
    // A rebalance may have revoked partitions while the watermarks were fetched: plan only what
    // is still owned.
    const owned = ranges.filter(
      (r) => this.assigned.get(topicPartitionKey(r.topic, r.partition))?.current === r.fromOffset,
    );
    for (const r of owned)
      this.assigned.get(topicPartitionKey(r.topic, r.partition))!.current = r.untilOffset;
    void batchTimeMs;
    return owned;
  }

  /**
   * Checkpoint recovery cannot go on before the partitions are assigned: a batch generated
   * without its logged ranges would let a later checkpoint cover data that was never processed.
   * Waits (bounded) for the assignment, then plans again.
   */
  private async waitToReplay(batchTimeMs: number): Promise<OffsetRange[]> {
    const limitMs = Math.max(this.options.fetchTimeoutMs ?? 30_000, 60_000);
    for (let waitedMs = 0; !this.stopped && (this.assigned.size === 0 || !this.admin); waitedMs += 50) {
      if (waitedMs > limitMs) {
        throw new SidestreamError(
          'SS_SOURCE_FAILED',
          `${this.name}: no partition was assigned within ${limitMs} ms, so the batches logged after the checkpoint cannot be replayed; check that Kafka is reachable and the group can rebalance`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      await this.assignmentChange;
    }
    if (this.stopped) return [];
    return this.plan(batchTimeMs);
  }

  /**
   * Consumer lag once the planned ranges are read: records left up to the high watermark, and
   * the age of the first of them (the record at untilOffset) when the buffer already holds it.
   * One lookup per partition per batch, nothing per record.
   */
  private async lagAfter(ranges: readonly OffsetRange[]): Promise<PartitionLag[]> {
    if (ranges.length === 0) return [];
    let high = this.plannedHigh;
    if (!high && this.admin) {
      // A re-run batch keeps its logged ranges; the watermarks are still today's.
      high = new Map<string, number>();
      for (const topic of new Set(ranges.map((r) => r.topic))) {
        for (const o of await this.admin.fetchTopicOffsets(topic))
          high.set(topicPartitionKey(topic, o.partition), Number(o.high));
      }
    }
    // Reading on demand, nothing is buffered ahead: the first record left is fetched (one small
    // fetch per lagging partition, in parallel, bounded) for its timestamp.
    const ahead = new Map<string, number | undefined>();
    if (this.onDemand) {
      await Promise.all(
        ranges.map(async (r) => {
          const key = topicPartitionKey(r.topic, r.partition);
          const h = high?.get(key);
          if (h === undefined || h <= r.untilOffset) return;
          const next = await this.reader()
            .read(r.topic, r.partition, r.untilOffset, r.untilOffset + 1, 1000)
            .catch(() => undefined);
          ahead.set(key, next?.messages[0]?.timestamp);
        }),
      );
    }
    const now = this.ctx!.clock.now();
    const lag: PartitionLag[] = [];
    for (const r of ranges) {
      const key = topicPartitionKey(r.topic, r.partition);
      const a = this.assigned.get(key);
      const highWatermark = high?.get(key);
      if (!a || highWatermark === undefined) continue;
      const records = Math.max(highWatermark - r.untilOffset, 0);
      const timestamp =
        records === 0 ? undefined : this.onDemand ? ahead.get(key) : a.buffer.timestampAt(r.untilOffset);
      const seconds =
        records === 0
          ? 0
          : timestamp === undefined || timestamp < 0
            ? undefined
            : Math.max(now - timestamp, 0) / 1000;
      lag.push({
        topic: r.topic,
        partition: r.partition,
        records,
        ...(seconds === undefined ? {} : { seconds }),
        highWatermark,
        committedOffset: a.committed,
      });
    }
    return lag;
  }

  private batchFor(ranges: readonly OffsetRange[], lag: readonly PartitionLag[]): InputBatch<KafkaRecord<V>> {
    const ctx = this.ctx!;
    const decode = this.options.decode ?? (defaultDecode as unknown as Decode<V>);
    const timeoutMs = this.options.fetchTimeoutMs ?? 30_000;
    const buffers = ranges.map((r) => this.assigned.get(topicPartitionKey(r.topic, r.partition))?.buffer);
    // Offsets whose rejection an earlier attempt of the same task already dead-lettered and
    // reported: a retried task must not send or count them twice.
    const handled = ranges.map(() => new Set<number>());
    // Event times of the records each partition read (its latest attempt): the batch's
    // event-time lag, measured once the tasks have run.
    const eventTimes: (Float64Array | undefined)[] = ranges.map(() => undefined);
    // A few `traceparent` headers per partition (its latest attempt) for the batch span's links:
    // one header lookup per record, and no allocation once the bound is reached.
    const traceparents: (string[] | undefined)[] = ranges.map(() => undefined);
    const eventTime = this.options.eventTime;
    const revoked = (r: OffsetRange) =>
      new SidestreamError(
        'SS_PARTITION_REVOKED',
        `${this.name} partition ${r.topic}-${r.partition} was revoked before its range was read; the batch is planned again without it`,
      );
    const rdd = new RDD<KafkaRecord<V>>(
      ctx.rddEnv,
      ranges.length,
      async (p, sink) => {
        const r = ranges[p]!;
        const buffer = buffers[p];
        if (!buffer) throw revoked(r);
        // Reading on demand nothing was fetched ahead: a partition revoked since planning is
        // another agent's now (the buffer path fails the same way once its data is missing).
        if (this.onDemand && !this.assigned.has(topicPartitionKey(r.topic, r.partition))) throw revoked(r);
        const raws = this.onDemand
          ? await this.readOnDemand(r, timeoutMs)
          : await buffer.read(r.fromOffset, r.untilOffset, timeoutMs);
        const decoded = decodeRange(
          raws,
          r.topic,
          r.partition,
          { decode, eventTime, handled: handled[p]! },
          sink,
        );
        eventTimes[p] = decoded.eventTimes;
        traceparents[p] = decoded.links;
        if (decoded.rejected.length > 0) await this.reject(r, decoded.rejected, handled[p]!);
      },
      this.name,
    );
    // Executor workers read a range themselves (remoteRead below) and hand back what this
    // compute would have kept: event times, trace links, rejected records.
    rdd.remoteRead = {
      describe: (p): RangeReadRequest => {
        const r = ranges[p]!;
        // A partition revoked since planning is another agent's now: reading it here would
        // duplicate its output there.
        if (!buffers[p] || !this.assigned.has(topicPartitionKey(r.topic, r.partition))) throw revoked(r);
        return { ...r, handled: [...handled[p]!] };
      },
      accept: async (p, data) => {
        const out = data as RangeReadOutput;
        if (out.deleted) this.reportDeleted(ranges[p]!, out.deleted);
        eventTimes[p] = out.eventTimes;
        traceparents[p] = out.links;
        if (out.rejected.length > 0) {
          const rejected = out.rejected.map(({ raw, error }) => ({
            raw: reviveRaw(raw),
            error: Object.assign(new Error(error.message), { name: error.name }),
          }));
          await this.reject(ranges[p]!, rejected, handled[p]!);
        }
      },
    };
    rdd.offsetRanges = ranges;
    const numRecords = ranges.reduce((n, r) => n + (r.untilOffset - r.fromOffset), 0);
    const collectEventTimes = () => {
      const parts = eventTimes.filter((t): t is Float64Array => t !== undefined);
      if (parts.length === 0) return undefined;
      const all = new Float64Array(parts.reduce((n, t) => n + t.length, 0));
      let at = 0;
      for (const t of parts) {
        all.set(t, at);
        at += t.length;
      }
      return all;
    };
    const collectTraceparents = () => traceparents.flatMap((t) => t ?? []);
    return {
      rdd,
      numRecords,
      metadata: { offsetRanges: ranges, consumerLag: lag },
      eventTimesMs: collectEventTimes,
      traceparents: collectTraceparents,
      consumerGroup: this.options.groupId,
    };
  }

  /**
   * Records of one range the decoder rejected: dead-lettered first when a topic is set (awaited:
   * a failed send fails the task, which is retried), then counted and reported once each.
   */
  private async reject(r: OffsetRange, rejected: readonly Rejected[], handled: Set<number>): Promise<void> {
    const ctx = this.ctx!;
    const topic = this.options.deadLetterTopic;
    if (topic !== undefined) await this.deadLetter(topic, r, rejected);
    for (const { raw, error } of rejected) {
      handled.add(raw.offset);
      this.stats.recordErrors++;
      if (topic !== undefined) this.stats.deadLettered++;
      ctx.report({
        type: 'record-error',
        streamId: ctx.streamId,
        stream: this.name,
        topic: r.topic,
        partition: r.partition,
        offset: raw.offset,
        errorType: errorType(error),
        reason: describeError(error),
        deadLettered: topic !== undefined,
      });
    }
  }

  private async deadLetter(topic: string, r: OffsetRange, rejected: readonly Rejected[]): Promise<void> {
    const producer = this.producer;
    if (!producer)
      throw new Error(
        `cannot dead-letter ${rejected.length} record(s) of ${r.topic}-${r.partition}: not connected to Kafka`,
      );
    const messages = rejected.map(({ raw, error }) => {
      const headers: IHeaders = {
        ...(raw.rawHeaders ?? raw.headers),
        'sidestream-error': describeError(error),
        'sidestream-error-type': errorType(error),
        'sidestream-source-topic': r.topic,
        'sidestream-source-partition': String(r.partition),
        'sidestream-source-offset': String(raw.offset),
      };
      return {
        key: raw.key,
        value: raw.value,
        headers,
        ...(raw.timestamp >= 0 ? { timestamp: String(raw.timestamp) } : {}),
      };
    });
    const send = this.deadLetterChain.then(() => producer.send({ topic, messages, acks: -1 }));
    this.deadLetterChain = send.catch(() => {});
    await send;
  }

  /**
   * After every output of the batch succeeded: the commit entry, then the until-offsets to Kafka
   * (best effort: the offset log is the source of truth; Kafka's copy is for outside lag tools).
   */
  async commit(batchTimeMs: number): Promise<void> {
    const ranges = this.pending.get(batchTimeMs) ?? [];
    if (this.offsetLog && ranges.length > 0) {
      await this.offsetLog.writeCommit(batchTimeMs);
      await this.offsetLog.cleanup(this.lastCheckpointMs ?? this.recoveringFrom);
    }
    const owned = ranges.filter((r) => this.assigned.has(topicPartitionKey(r.topic, r.partition)));
    if (owned.length > 0 && this.consumer) {
      try {
        // The metadata carries the batch's whole range, so an operator looking at the group with
        // kafka-consumer-groups (or a lag exporter) sees what the last batch read.
        await this.consumer.commitOffsets(
          owned.map((r) => ({
            topic: r.topic,
            partition: r.partition,
            offset: String(r.untilOffset),
            metadata: JSON.stringify({ batchTime: batchTimeMs, from: r.fromOffset, until: r.untilOffset }),
          })),
        );
        for (const r of owned) {
          const a = this.assigned.get(topicPartitionKey(r.topic, r.partition));
          if (a) a.committed = r.untilOffset;
        }
      } catch (error) {
        this.failure(
          'commit',
          `committing offsets to Kafka failed (the offset log has them): ${describeError(error)}`,
        );
      }
    }
  }

  /** The batch is over (committed or failed): its records are no longer needed in memory. */
  release(batchTimeMs: number): void {
    const ranges = this.pending.get(batchTimeMs) ?? [];
    this.pending.delete(batchTimeMs);
    for (const r of ranges)
      this.assigned.get(topicPartitionKey(r.topic, r.partition))?.buffer.release(r.untilOffset);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeConnectLoop?.();
    await this.connectLoop?.catch(() => {});
    await this.disconnectQuietly();
  }

  private async disconnectQuietly(): Promise<void> {
    this.isConnected = false;
    const consumer = this.consumer;
    const admin = this.admin;
    const producer = this.producer;
    this.consumer = undefined;
    this.admin = undefined;
    this.producer = undefined;
    const reader = this.rangeReader;
    this.rangeReader = undefined;
    await consumer?.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    await admin?.disconnect().catch(() => {});
    await reader?.close();
  }
}

/** The stream's failures are input events (never receiver errors: a direct stream has no receiver). */
function inputError(ctx: InputContext, stream: string, operation: InputOperation, message: string): void {
  ctx.report({ type: 'input-error', streamId: ctx.streamId, stream, operation, message });
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** A structured clone turns Buffers into Uint8Arrays: a rejected record from a worker gets its Buffers back. */
function reviveRaw(raw: RawKafkaMessage): RawKafkaMessage {
  const buf = (b: Uint8Array | string): Buffer | string =>
    typeof b === 'string' ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const rawHeaders =
    raw.rawHeaders &&
    Object.fromEntries(
      Object.entries(raw.rawHeaders).map(([k, v]) => [
        k,
        v === undefined ? undefined : Array.isArray(v) ? v.map(buf) : buf(v),
      ]),
    );
  return {
    ...raw,
    key: raw.key === null ? null : (buf(raw.key) as Buffer),
    value: raw.value === null ? null : (buf(raw.value) as Buffer),
    ...(rawHeaders ? { rawHeaders } : {}),
  };
}

/** Whether `error`, or an error in its cause chain, is a SidestreamError with one of `codes`. */
function hasCode(error: unknown, codes: readonly string[]): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (codes.includes((e as { code?: unknown }).code as string)) return true;
  }
  return false;
}
