/**
 * A direct stream's place in its Kafka consumer group, and its connections to Kafka: connecting
 * (retried with backoff, never blocking start), the kafkajs group consumer and its events
 * (GROUP_JOIN, END_BATCH_PROCESS, CRASH), fetching into the partition table's buffers,
 * positioning newly assigned partitions (pause, seek, resume: where they start is
 * restart-plan.ts's startingPosition, fed here with what Kafka and the sink say), re-positioning
 * after a failed batch, and committing offsets to the group. It also holds the admin client (high
 * watermarks) and the direct range reader (executor workers, on-demand reads).
 */
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { describeError, SidestreamError } from '../../errors.js';
import {
  type OffsetRange,
  parseTopicPartitionKey,
  type TopicPartition,
  topicPartitionKey,
} from '../../topic-partition.js';
import type { DeadLetters } from './dead-letters.js';
import type { DirectStreamEvents, DirectStreamStats } from './direct-stream-events.js';
import { type KafkaConnectionOptions, kafkaClientFor } from './kafka-direct-stream-options.js';
import { KafkaRangeReader, toRawMessage } from './kafka-range-reader.js';
import type { RawKafkaMessage } from './kafka-record.js';
import type { OwnedPartition, PartitionTable } from './partition-table.js';
import { type RestartPlan, startingPosition } from './restart-plan.js';

/** What the membership works with besides its own connections. */
export interface MembershipPeers {
  readonly table: PartitionTable;
  readonly events: DirectStreamEvents;
  readonly stats: DirectStreamStats;
  /** Its producer connects and disconnects with the membership. */
  readonly deadLetters: DeadLetters;
  /**
   * Executors read the ranges (InputContext.executorsReadInputs): the consumer keeps the
   * membership only, every partition paused, nothing fetched on this thread.
   */
  onDemand(): boolean;
}

export class GroupMembership {
  private client: Promise<Kafka> | undefined;
  private admin: Admin | undefined;
  private consumer: Consumer | undefined;
  private rangeReader: KafkaRangeReader | undefined;
  /** Partitions per topic when the stream first connected; one added later starts at its earliest offset. */
  private initialPartitions: Map<string, Set<number>> | undefined;
  private restart: RestartPlan | undefined;
  /** The restart's replay starts no assignment has used yet (each applies to a first assignment only). */
  private unusedReplayStarts = new Map<string, number>();
  private isConnected = false;
  private halted = false;
  private connectLoop: Promise<void> | undefined;
  /** Ends the connect loop's backoff sleep (set while it sleeps). */
  private wakeConnectLoop: (() => void) | undefined;
  private assignmentChange: Promise<void> = Promise.resolve();

  constructor(
    private readonly name: string,
    private readonly options: KafkaConnectionOptions,
    private readonly peers: MembershipPeers,
  ) {}

  get connected(): boolean {
    return this.isConnected;
  }

  get stopped(): boolean {
    return this.halted;
  }

  /** Whether high watermarks can be fetched (the admin client is connected): planning needs them. */
  get canPlan(): boolean {
    return this.admin !== undefined;
  }

  /**
   * Starts connecting (in the background: an unreachable broker is retried with backoff while the
   * engine runs empty batches and /readyz stays false). `restart` places the partitions assigned.
   */
  start(restart: RestartPlan): void {
    this.restart = restart;
    this.unusedReplayStarts = new Map(restart.replayStart);
    this.client = kafkaClientFor(this.options);
    this.connectLoop = this.connectWithRetry();
  }

  /** Resolves once the latest assignment from the group has been applied. */
  settled(): Promise<void> {
    return this.assignmentChange;
  }

  /** Reads straight from partition leaders, without the group (executor workers, on-demand driver reads). */
  reader(): KafkaRangeReader {
    this.rangeReader ??= new KafkaRangeReader(this.client ?? kafkaClientFor(this.options), {
      maxWaitTimeMs: this.options.consumer?.maxWaitTimeMs ?? 500,
      metadataMaxAgeMs: this.options.metadataMaxAgeMs ?? 30_000,
    });
    return this.rangeReader;
  }

  /** High watermarks per partition key, one ListOffsets per topic; undefined when not connected. */
  async highWatermarks(topics: Iterable<string>): Promise<Map<string, number> | undefined> {
    const admin = this.admin;
    if (!admin) return undefined;
    const high = new Map<string, number>();
    for (const topic of topics) {
      for (const o of await admin.fetchTopicOffsets(topic))
        high.set(topicPartitionKey(topic, o.partition), Number(o.high));
    }
    return high;
  }

  private async connectWithRetry(): Promise<void> {
    let delay = 500;
    while (!this.halted) {
      try {
        await this.connectOnce();
        return;
      } catch (error) {
        this.peers.events.failure(
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
    // start() made the client before starting the loop; loading kafkajs fails like a connect.
    const kafka = await (this.client ?? kafkaClientFor(this.options));
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
    await this.peers.deadLetters.connect(kafka);
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
    const table = this.peers.table;
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
          partitions: this.peers.onDemand()
            ? partitions
            : partitions.filter((partition) => !table.has({ topic, partition })),
        }))
        .filter((t) => t.partitions.length > 0);
      if (fresh.length > 0) consumer.pause(fresh);
      this.assignmentChange = this.assignmentChange
        .then(() => this.onAssignment(assignment))
        .catch((error) => {
          this.peers.events.failure(
            'assign',
            `applying a new partition assignment failed: ${describeError(error)}`,
          );
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
      const a = table.get({ topic, partition });
      if (!a) return;
      if (a.skipBatchEnd) {
        a.skipBatchEnd = false;
        return;
      }
      a.buffer.advance(a.buffer.epoch, Number(lastOffset) + 1);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.isConnected = false;
      this.peers.events.failure('consume', `Kafka consumer crashed: ${describeError(event.payload.error)}`);
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
    const a = this.peers.table.get(batch);
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
      this.peers.events.offsetsReset(batch, {
        cause: 'deleted',
        storedOffset: position,
        resetTo: fetchedFrom,
      });
    }
    const messages: RawKafkaMessage[] = batch.messages.map(toRawMessage);
    this.peers.stats.consumerFetched += messages.length;
    a.buffer.append(epoch, messages, Number(batch.lastOffset()));
    // Resolving moves kafkajs' fetch position on; nothing is committed to Kafka here.
    resolveOffset(batch.lastOffset());
    await heartbeat();
  }

  /** A new assignment from the group: forget revoked partitions, position the new ones. */
  private async onAssignment(assignment: Record<string, number[]>): Promise<void> {
    const table = this.peers.table;
    const wanted = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) wanted.add(topicPartitionKey(topic, p));
    }
    const revoked = table.keys().filter((k) => !wanted.has(k));
    for (const k of revoked) table.revoke(k, `${this.name} partition ${k}`);
    // A new generation restarts kafkajs' fetching of retained partitions from the offsets
    // committed to Kafka (or the earliest offset): send it back to where the buffer is.
    for (const a of table.values())
      this.consumer?.seek({ topic: a.topic, partition: a.partition, offset: String(a.buffer.position) });
    const added: TopicPartition[] = [];
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        if (!table.has({ topic, partition })) added.push({ topic, partition });
      }
    }
    this.peers.events.rebalance(added, revoked.map(parseTopicPartitionKey));
    const starts = added.length === 0 ? [] : await this.startingPositions(added);
    for (const [tp, start] of starts) {
      table.add(tp, start);
      // Set by connectOnce before the consumer could join; should a failed connect have dropped
      // it meanwhile, the throw fails this assignment, which is reported.
      const consumer = this.consumer;
      if (!consumer)
        throw new Error(`${this.name}: the consumer disconnected while partitions were assigned`);
      consumer.seek({ topic: tp.topic, partition: tp.partition, offset: String(start) });
    }
    // Positioned: let kafkajs fetch them (held since GROUP_JOIN; resuming is idempotent). Not
    // when the ranges are read on demand (executors): the consumer keeps the membership only.
    if (!this.peers.onDemand())
      this.consumer?.resume(Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions })));
  }

  /**
   * Where newly assigned partitions start (startingPosition's rules), from each topic's
   * watermarks, the group's offsets committed to Kafka and the sink's offset store; an
   * out-of-range stored offset is reported as it falls back to the earliest offset. Every
   * partition given gets a position, topic by topic (topics in the order they first appear).
   */
  private async startingPositions(
    parts: readonly TopicPartition[],
  ): Promise<(readonly [TopicPartition, number])[]> {
    // Connected by connectOnce before the consumer could join; should a failed connect have
    // dropped it meanwhile, the throw fails this assignment, which is reported.
    const admin = this.admin;
    if (!admin) throw new Error(`${this.name}: the admin client disconnected while partitions were assigned`);
    const restart = this.restart;
    const rules = {
      skipsUncommitted: restart?.skipsUncommitted ?? false,
      loggedPositions: restart?.loggedPositions ?? new Map<string, number>(),
      replayStart: this.unusedReplayStarts,
      startingOffsets: this.options.startingOffsets,
    };
    const out: (readonly [TopicPartition, number])[] = [];
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
      for (const tp of parts.filter((p) => p.topic === topic)) {
        const { partition } = tp;
        const key = topicPartitionKey(topic, partition);
        const start = startingPosition(rules, {
          topic,
          partition,
          low: Number(watermarks.get(partition)?.low ?? 0),
          high: Number(watermarks.get(partition)?.high ?? 0),
          sinkOffset: sinkOffsets.get(partition),
          committedOffset: committedByPartition.get(partition),
          addedToTopic: !(this.initialPartitions?.get(topic)?.has(partition) ?? true),
        });
        this.unusedReplayStarts.delete(key);
        if (start.reset) this.peers.events.offsetsReset({ topic, partition }, start.reset);
        out.push([tp, start.offset]);
      }
    }
    return out;
  }

  /**
   * After a batch failed for a revoked partition or a sink offset conflict: every owned partition
   * goes back to the sink's offset (or, without a sink, to its last committed offset).
   */
  async rewind(): Promise<void> {
    const byTopic = new Map<string, OwnedPartition[]>();
    for (const a of this.peers.table.values()) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a]);
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
  }

  /**
   * A batch's until-offsets of the partitions still owned, to the group (best effort: the offset
   * log is the source of truth; Kafka's copy is for outside lag tools and the next owner).
   */
  async commit(batchTimeMs: number, ranges: readonly OffsetRange[]): Promise<void> {
    const table = this.peers.table;
    const owned = ranges.filter((r) => table.has(r));
    if (owned.length === 0 || !this.consumer) return;
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
      table.committedTo(owned);
    } catch (error) {
      this.peers.events.failure(
        'commit',
        `committing offsets to Kafka failed (the offset log has them): ${describeError(error)}`,
      );
    }
  }

  async stop(): Promise<void> {
    this.halted = true;
    this.wakeConnectLoop?.();
    await this.connectLoop?.catch(() => {});
    await this.disconnectQuietly();
  }

  private async disconnectQuietly(): Promise<void> {
    this.isConnected = false;
    const consumer = this.consumer;
    const admin = this.admin;
    const producer = this.peers.deadLetters.detach();
    this.consumer = undefined;
    this.admin = undefined;
    const reader = this.rangeReader;
    this.rangeReader = undefined;
    await consumer?.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    await admin?.disconnect().catch(() => {});
    await reader?.close();
  }
}
