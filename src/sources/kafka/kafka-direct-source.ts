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
 * waits until the buffer has fetched past its until-offset.
 */
import { join } from 'node:path';
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  Kafka,
  type KafkaConfig,
  logLevel as KafkaLogLevel,
} from 'kafkajs';
import type { InputBatch, InputContext, InputSource } from '../../dstream/input-source.js';
import { type OffsetRange, RDD } from '../../dstream/rdd.js';
import { describeError, SidestreamError } from '../../errors.js';
import { OffsetLog, type PlannedBatch } from '../../state/offset-log.js';
import { type KafkaRecord, type RawKafkaMessage, recordUid, topicPartitionKey } from './kafka-record.js';
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
  /** Group membership timing, passed to the kafkajs consumer (its defaults when absent). */
  consumer?: { sessionTimeoutMs?: number; heartbeatIntervalMs?: number; rebalanceTimeoutMs?: number };
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
}

const defaultDecode = (value: Buffer | null): string | null =>
  value === null ? null : value.toString('utf8');

export class KafkaDirectSource<V = string | null> implements InputSource<KafkaRecord<V>> {
  readonly name: string;
  private ctx: InputContext | undefined;
  private kafka: Kafka | undefined;
  private admin: Admin | undefined;
  private consumer: Consumer | undefined;
  private readonly assigned = new Map<string, Assigned>();
  private replay: PlannedBatch | undefined;
  /** Until-offsets of the newest committed batch in the offset log (a clean restart resumes there). */
  private loggedPositions = new Map<string, number>();
  /** 'skip' found an uncommitted batch: its until-offsets win over every other position. */
  private skipsUncommitted = false;
  private offsetLog: OffsetLog | undefined;
  private readonly pending = new Map<number, readonly OffsetRange[]>();
  private isConnected = false;
  private stopped = false;
  private connectLoop: Promise<void> | undefined;
  private assignmentChange: Promise<void> = Promise.resolve();
  /** Counts kept for status and tests. */
  readonly stats = { recordErrors: 0, rebalances: 0, offsetResets: 0 };

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
    this.name = `kafka:${options.topics.join(',')}`;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Partitions this agent owns now (topic, partition, next offset). */
  assignment(): { topic: string; partition: number; current: number }[] {
    return [...this.assigned.values()].map((a) => ({
      topic: a.topic,
      partition: a.partition,
      current: a.current,
    }));
  }

  async start(ctx: InputContext): Promise<void> {
    this.ctx = ctx;
    if (this.hooks.checkpointDir) {
      this.offsetLog = new OffsetLog(join(this.hooks.checkpointDir, 'kafka', `stream-${ctx.streamId}`));
    }
    const log = this.offsetLog;
    if (log) {
      await log.init();
      const state = await log.state();
      const latest = state.latest;
      if (latest && !state.latestCommitted && (this.options.firstBatchAfterRestart ?? 'rerun') === 'rerun') {
        this.replay = latest;
      } else if (latest) {
        // Committed, or passed over by policy ('skip' = at-most-once): resume after it.
        this.skipsUncommitted = !state.latestCommitted;
        for (const r of latest.ranges[this.name] ?? []) {
          this.loggedPositions.set(topicPartitionKey(r.topic, r.partition), r.untilOffset);
        }
      }
    }
    this.kafka = new Kafka({
      ...this.options.kafka,
      brokers: this.options.brokers,
      clientId: this.options.clientId ?? `sidestream-${this.options.groupId}`,
      logLevel: this.options.kafka?.logLevel ?? KafkaLogLevel.NOTHING,
    });
    // Connecting must not block start: an unreachable broker is retried with backoff while the
    // engine runs empty batches and /readyz stays false.
    this.connectLoop = this.connectWithRetry();
  }

  private async connectWithRetry(): Promise<void> {
    let delay = 500;
    while (!this.stopped) {
      try {
        await this.connectOnce();
        return;
      } catch (error) {
        this.ctx?.receiver.error(
          `cannot reach Kafka at ${this.options.brokers.join(',')}: ${describeError(error)}; retrying in ${delay} ms`,
        );
        await this.disconnectQuietly();
        await new Promise((r) => setTimeout(r, delay).unref());
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
    const consumer = kafka.consumer({
      groupId: this.options.groupId,
      allowAutoTopicCreation: false,
      readUncommitted: false,
      metadataMaxAge: 30_000,
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
      this.assignmentChange = this.assignmentChange
        .then(() => this.onAssignment(assignment))
        .catch((error) => {
          this.ctx?.receiver.error(`applying a new partition assignment failed: ${describeError(error)}`);
        });
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      // Also fires for batches that held only control records or aborted data: move past them.
      const { topic, partition, lastOffset } = event.payload as {
        topic: string;
        partition: number;
        lastOffset: string;
      };
      const a = this.assigned.get(topicPartitionKey(topic, partition));
      if (a) a.buffer.advance(a.buffer.epoch, Number(lastOffset) + 1);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.isConnected = false;
      this.ctx?.receiver.error(`Kafka consumer crashed: ${describeError(event.payload.error)}`);
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: this.options.topics,
      fromBeginning: this.options.startingOffsets === 'earliest',
    });
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
    if (!a || !isRunning() || isStale()) return;
    const epoch = a.buffer.epoch;
    const messages: RawKafkaMessage[] = batch.messages.map((m) => ({
      offset: Number(m.offset),
      key: m.key ?? null,
      value: m.value ?? null,
      timestamp: Number(m.timestamp),
      headers: decodeHeaders(m.headers),
    }));
    a.buffer.append(epoch, messages, Number(batch.lastOffset()));
    // Resolving moves kafkajs' fetch position on; nothing is committed to Kafka here.
    resolveOffset(batch.lastOffset());
    await heartbeat();
  }

  /** A new assignment from the group: forget revoked partitions, position the new ones. */
  private async onAssignment(assignment: Record<string, number[]>): Promise<void> {
    const wanted = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) wanted.add(topicPartitionKey(topic, p));
    }
    const revoked = [...this.assigned.keys()].filter((k) => !wanted.has(k));
    for (const k of revoked) this.assigned.delete(k);
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
      revoked: revoked.map((k) => {
        const i = k.lastIndexOf(':');
        return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)) };
      }),
    });
    if (added.length === 0) return;
    const starts = await this.startingPositions(added);
    for (const { topic, partition } of added) {
      const start = starts.get(topicPartitionKey(topic, partition))!;
      const buffer = new PartitionBuffer(start);
      this.assigned.set(topicPartitionKey(topic, partition), { topic, partition, buffer, current: start });
      this.consumer!.seek({ topic, partition, offset: String(start) });
    }
  }

  /**
   * Where newly assigned partitions start: the replayed batch's from-offset, else the sink's
   * offset store, else this agent's offset log, else the offset committed to Kafka by whoever
   * owned the partition last (it lags the log by a batch after a crash), else startingOffsets.
   * A stored
   * offset outside the partition's retained range falls back to the earliest offset.
   */
  private async startingPositions(
    parts: { topic: string; partition: number }[],
  ): Promise<Map<string, number>> {
    const admin = this.admin!;
    const out = new Map<string, number>();
    const replayed = new Map<string, number>();
    for (const ranges of Object.values(this.replay?.ranges ?? {})) {
      for (const r of ranges) replayed.set(topicPartitionKey(r.topic, r.partition), r.fromOffset);
    }
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
        let start =
          replayed.get(key) ??
          (this.skipsUncommitted ? this.loggedPositions.get(key) : undefined) ??
          sinkOffsets.get(partition) ??
          this.loggedPositions.get(key) ??
          committedByPartition.get(partition) ??
          -1;
        if (start < 0) start = this.options.startingOffsets === 'earliest' ? low : high;
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
    const ranges = await this.plan(batchTimeMs);
    this.pending.set(batchTimeMs, ranges);
    // With no partition assigned there is nothing to log; writing an empty plan would bury an
    // uncommitted batch that still has to be replayed once partitions arrive.
    const log = this.offsetLog;
    if (log && ranges.length > 0)
      await log.writePlanned({ batchTime: batchTimeMs, ranges: { [this.name]: ranges } });
    return this.batchFor(ranges);
  }

  private async plan(batchTimeMs: number): Promise<OffsetRange[]> {
    const parts = [...this.assigned.values()].sort((a, b) =>
      a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
    );
    if (parts.length === 0 || !this.admin) return [];
    const replay = this.replay;
    if (replay) {
      // The first batch after a restart is exactly the last planned one before it.
      this.replay = undefined;
      const old = (replay.ranges[this.name] ?? []).filter((r) =>
        this.assigned.has(topicPartitionKey(r.topic, r.partition)),
      );
      for (const r of old)
        this.assigned.get(topicPartitionKey(r.topic, r.partition))!.current = r.untilOffset;
      if (old.length > 0) return old;
    }
    const high = new Map<string, number>();
    for (const topic of new Set(parts.map((p) => p.topic))) {
      for (const o of await this.admin.fetchTopicOffsets(topic))
        high.set(topicPartitionKey(topic, o.partition), Number(o.high));
    }
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
    for (const r of ranges)
      this.assigned.get(topicPartitionKey(r.topic, r.partition))!.current = r.untilOffset;
    void batchTimeMs;
    return ranges;
  }

  private batchFor(ranges: readonly OffsetRange[]): InputBatch<KafkaRecord<V>> {
    const ctx = this.ctx!;
    const decode =
      this.options.decode ?? (defaultDecode as unknown as (v: Buffer | null, raw: RawKafkaMessage) => V);
    const timeoutMs = this.options.fetchTimeoutMs ?? 30_000;
    const buffers = ranges.map((r) => this.assigned.get(topicPartitionKey(r.topic, r.partition))?.buffer);
    const rdd = new RDD<KafkaRecord<V>>(
      ctx.rddEnv,
      ranges.length,
      async (p, sink) => {
        const r = ranges[p]!;
        const buffer = buffers[p];
        if (!buffer)
          throw new Error(`partition ${r.topic}-${r.partition} was revoked before its range was read`);
        const raws = await buffer.read(r.fromOffset, r.untilOffset, timeoutMs);
        for (const raw of raws) {
          let value: V;
          try {
            value = decode(raw.value, raw);
          } catch (error) {
            this.stats.recordErrors++;
            ctx.report({
              type: 'record-error',
              streamId: ctx.streamId,
              stream: this.name,
              topic: r.topic,
              partition: r.partition,
              offset: raw.offset,
              errorType: error instanceof Error ? error.name : typeof error,
              reason: describeError(error),
              deadLettered: false,
            });
            continue;
          }
          sink({
            topic: r.topic,
            partition: r.partition,
            offset: raw.offset,
            key: raw.key === null ? null : raw.key.toString('utf8'),
            value,
            timestamp: raw.timestamp,
            headers: raw.headers,
            uid: recordUid(r.topic, r.partition, raw.offset),
          });
        }
      },
      this.name,
    ).persist();
    rdd.offsetRanges = ranges;
    const numRecords = ranges.reduce((n, r) => n + (r.untilOffset - r.fromOffset), 0);
    return { rdd, numRecords, offsetRanges: ranges };
  }

  /**
   * After every output of the batch succeeded: the commit entry, then the until-offsets to Kafka
   * (best effort: the offset log is the source of truth; Kafka's copy is for outside lag tools).
   */
  async commit(batchTimeMs: number): Promise<void> {
    const ranges = this.pending.get(batchTimeMs) ?? [];
    if (this.offsetLog && ranges.length > 0) {
      await this.offsetLog.writeCommit(batchTimeMs);
      await this.offsetLog.cleanup();
    }
    const owned = ranges.filter((r) => this.assigned.has(topicPartitionKey(r.topic, r.partition)));
    if (owned.length > 0 && this.consumer) {
      try {
        await this.consumer.commitOffsets(
          owned.map((r) => ({ topic: r.topic, partition: r.partition, offset: String(r.untilOffset) })),
        );
      } catch (error) {
        this.ctx?.receiver.error(
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
    await this.connectLoop?.catch(() => {});
    await this.disconnectQuietly();
  }

  private async disconnectQuietly(): Promise<void> {
    this.isConnected = false;
    const consumer = this.consumer;
    const admin = this.admin;
    this.consumer = undefined;
    this.admin = undefined;
    await consumer?.disconnect().catch(() => {});
    await admin?.disconnect().catch(() => {});
  }
}

function decodeHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String).join(',') : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}
