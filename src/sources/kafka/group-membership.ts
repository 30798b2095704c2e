/**
 * A direct stream's place in its Kafka consumer group, and its connections to Kafka: connecting
 * (retried with backoff, never blocking start; again after the consumer is lost), the kafkajs
 * group consumer and its events (GROUP_JOIN, END_BATCH_PROCESS, CRASH, and every request's
 * answer for the BrokerWatch), fetching into the partition table's buffers, positioning newly
 * assigned partitions (pause, seek, resume: where they start is restart-plan.ts's
 * startingPosition, fed here with what Kafka and the sink say; a positioning Kafka did not answer
 * in time is retried before the next plan), re-positioning after a failed batch, and committing
 * offsets to the group (group-commits.ts). It also holds the planning client (partition
 * offsets, per leader), the admin client (topics, the group's committed offsets) and the direct
 * range reader (executor workers, on-demand reads). Every request it makes while planning,
 * positioning or committing is bounded by the stream's request time (broker-watch.ts).
 */
import type { Admin, Consumer, EachBatchPayload, Kafka, PartitionAssigner } from 'kafkajs';
import { describeError, SidestreamError } from '../../errors.js';
import {
  type OffsetRange,
  parseTopicPartitionKey,
  type TopicPartition,
  topicPartitionKey,
} from '../../topic-partition.js';
import { type BrokerWatch, within } from './broker-watch.js';
import type { DeadLetters } from './dead-letters.js';
import type { DirectStreamEvents, DirectStreamStats } from './direct-stream-events.js';
import { GroupCommits } from './group-commits.js';
import type { GroupMemberId } from './group-member-id.js';
import {
  DEFAULT_MAX_BUFFERED_RECORDS,
  type KafkaConnectionOptions,
  kafkaClientFor,
} from './kafka-direct-stream-options.js';
import { classifyKafkaFailure } from './kafka-failures.js';
import { KafkaRangeReader, toRawMessage } from './kafka-range-reader.js';
import type { RawKafkaMessage } from './kafka-record.js';
import { loadKafkajs } from './kafkajs-client.js';
import { PartitionOffsets, type PartitionOffsetsAnswer } from './partition-offsets.js';
import type { OwnedPartition, PartitionTable } from './partition-table.js';
import { type RestartPlan, type StartingPosition, startingPosition } from './restart-plan.js';

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

/** What the membership is given when the stream starts. */
export interface MembershipStart {
  readonly restart: RestartPlan;
  readonly watch: BrokerWatch;
  /** The member id the consumer rejoins its group as (group-member-id.ts). */
  readonly member: GroupMemberId;
}

export class GroupMembership {
  private client: Promise<Kafka> | undefined;
  private admin: Admin | undefined;
  private consumer: Consumer | undefined;
  private offsets: PartitionOffsets | undefined;
  private rangeReader: KafkaRangeReader | undefined;
  private watch: BrokerWatch | undefined;
  private member: GroupMemberId | undefined;
  private commits: GroupCommits | undefined;
  /** Assigned by the group, not yet positioned (Kafka did not answer in time): retried before each plan. */
  private unpositioned: TopicPartition[] = [];
  /** A retry of their positioning is queued behind the assignment changes. */
  private retryingPositions = false;
  /** The consumer was lost for good (a crash kafkajs does not restart, a deleted topic): reconnecting. */
  private reconnecting = false;
  /** The consumer has joined the group at least once since the stream started. */
  private joinedOnce = false;
  /** Partitions per topic when the stream first connected; one added later starts at its earliest offset. */
  private initialPartitions: Map<string, Set<number>> | undefined;
  private restart: RestartPlan | undefined;
  /** The restart's replay starts no assignment has used yet (each applies to a first assignment only). */
  private unusedReplayStarts = new Map<string, number>();
  /** Partitions placed at least once in this run (partition keys): the offset log no longer places them. */
  private readonly positionedOnce = new Set<string>();
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

  private get bufferBound(): number {
    return this.options.maxBufferedRecordsPerPartition ?? DEFAULT_MAX_BUFFERED_RECORDS;
  }

  get stopped(): boolean {
    return this.halted;
  }

  /** Whether partition offsets can be asked for (the stream is connected): planning needs them. */
  get canPlan(): boolean {
    return this.admin !== undefined && this.offsets !== undefined;
  }

  /**
   * Starts connecting (in the background: an unreachable broker is retried with backoff while the
   * engine runs empty batches and /readyz stays false). `restart` places the partitions assigned.
   */
  start({ restart, watch, member }: MembershipStart): void {
    this.restart = restart;
    this.watch = watch;
    this.member = member;
    this.commits = new GroupCommits(this.peers.table, this.peers.events, watch, () => this.coordinator);
    this.unusedReplayStarts = new Map(restart.replayStart);
    this.client = kafkaClientFor(this.options);
    this.connectLoop = this.connectWithRetry();
  }

  /** `host:port` of the group coordinator once known; the seed brokers until then. */
  private get coordinator(): string {
    return this.member?.coordinator ?? this.options.brokers.join(',');
  }

  private get requestMs(): number {
    return this.watch?.timing.requestMs ?? 30_000;
  }

  /**
   * Resolves once the latest assignment from the group has been applied, after one more try at
   * positioning the partitions whose positioning Kafka did not answer (bounded).
   */
  settled(): Promise<void> {
    if (this.unpositioned.length > 0 && !this.retryingPositions) {
      this.retryingPositions = true;
      this.assignmentChange = this.assignmentChange
        .then(() => this.positionAssigned())
        .catch((error) => {
          this.peers.events.failure(
            'assign',
            `positioning assigned partitions failed: ${describeError(error)}`,
          );
        })
        .finally(() => {
          this.retryingPositions = false;
        });
    }
    return this.assignmentChange;
  }

  /** Reads straight from partition leaders, without the group (executor workers, on-demand driver reads). */
  reader(): KafkaRangeReader {
    this.rangeReader ??= new KafkaRangeReader(this.client ?? kafkaClientFor(this.options), {
      maxWaitTimeMs: this.options.consumer?.maxWaitTimeMs ?? 500,
      metadataMaxAgeMs: this.options.metadataMaxAgeMs ?? 30_000,
      observer: this.watch,
    });
    return this.rangeReader;
  }

  /**
   * The end offsets (high watermarks, read_committed) of `parts`, asked of their leaders within
   * `budgetMs` (default: the stream's request time); undefined when not connected. Partitions
   * whose leader did not answer in time are in `missed`.
   */
  async highWatermarks(
    parts: readonly TopicPartition[],
    budgetMs = this.requestMs,
  ): Promise<PartitionOffsetsAnswer | undefined> {
    const offsets = this.offsets;
    if (!offsets) return undefined;
    const answer = await offsets.offsets(parts, 'end', budgetMs);
    // Trouble with a broker that no longer leads anything of ours (nor coordinates the group)
    // does not make the stream disconnected.
    this.watch?.use([...answer.leaders, this.options.brokers.join(','), this.coordinator]);
    if (answer.missingTopics.size > 0) void this.checkTopics(answer.missingTopics);
    return answer;
  }

  /**
   * A broker said a subscribed topic does not exist: confirmed with the topic list, the topic was
   * deleted under the running stream. Reported, and the stream reconnects: the connect loop then
   * reports the missing topic at every attempt (and /readyz says it) until it exists again. No
   * partition of any topic is planned meanwhile; nothing stops the agent.
   */
  private async checkTopics(suspects: ReadonlySet<string>): Promise<void> {
    const admin = this.admin;
    if (!admin || this.reconnecting) return;
    let known: Set<string>;
    try {
      known = new Set(
        await within(
          this.watch?.track('Metadata', this.options.brokers.join(','), admin.listTopics()) ??
            admin.listTopics(),
          this.requestMs,
          'listing topics',
        ),
      );
    } catch {
      return;
    }
    const gone = [...suspects].filter((t) => !known.has(t));
    if (gone.length === 0) return;
    const message = `topic(s) ${gone.join(', ')} no longer exist on ${this.options.brokers.join(',')} (deleted while the stream ran); the stream stops reading, reconnects and waits for them to exist again`;
    this.peers.events.failure('consume', message);
    await this.reconnect(message);
  }

  /**
   * The consumer is gone for good (a crash kafkajs does not restart, a deleted topic): drop every
   * connection and connect again with backoff. Reads waiting for the consumer's fetches fail at
   * once (their batches are re-planned, see recover in kafka-direct-source.ts).
   */
  private async reconnect(reason: string): Promise<void> {
    if (this.reconnecting || this.halted) return;
    this.reconnecting = true;
    this.isConnected = false;
    this.watch?.membershipDown(reason);
    // The consumer goes, and with it this agent's share of the group: every partition is
    // revoked (reads waiting for its fetches fail at once and their batch is planned again), and
    // whatever the group assigns after reconnecting is placed afresh, from Kafka's and the sink's
    // offsets (a deleted topic created again starts from its own, new offsets).
    const table = this.peers.table;
    const revoked = table.keys();
    for (const k of revoked) table.revoke(k, `${this.name} partition ${k} (${reason})`);
    this.unpositioned = [];
    if (revoked.length > 0) this.peers.events.rebalance([], revoked.map(parseTopicPartitionKey));
    await this.connectLoop?.catch(() => {});
    await this.disconnectQuietly();
    this.reconnecting = false;
    if (!this.halted) this.connectLoop = this.connectWithRetry();
  }

  private async connectWithRetry(): Promise<void> {
    let delay = 500;
    while (!this.halted) {
      try {
        await this.connectOnce();
        return;
      } catch (error) {
        const message = `cannot reach Kafka at ${this.options.brokers.join(',')}: ${describeError(error)}; retrying in ${delay} ms`;
        this.peers.events.failure('connect', message);
        this.watch?.membershipDown(message);
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
    const watch = this.watch;
    const admin = kafka.admin();
    if (watch) {
      // Every answer kafkajs' own clients get counts as hearing from that broker.
      admin.on(admin.events.REQUEST, (e) => watch.answered(e.payload.broker));
    }
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
    if (watch)
      this.offsets = new PartitionOffsets(
        kafka,
        watch,
        this.options.brokers,
        this.options.metadataMaxAgeMs ?? 30_000,
      );
    const { PartitionAssigners } = await loadKafkajs();
    const roundRobin: PartitionAssigner = PartitionAssigners.roundRobin;
    const consumer = kafka.consumer({
      groupId: this.options.groupId,
      partitionAssigners: [this.member ? this.member.assigner(roundRobin) : roundRobin],
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
    if (watch) {
      consumer.on(consumer.events.REQUEST, (e) => watch.answered(e.payload.broker));
      consumer.on(consumer.events.REQUEST_TIMEOUT, (e) =>
        watch.failed(e.payload.broker, e.payload.apiName, "kafkajs' request timeout ran out"),
      );
    }
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment as Record<string, number[]>;
      this.member?.joined(event.payload.memberId);
      if (this.consumer === consumer && !this.reconnecting) {
        // Joined: first, or again after a crash kafkajs restarted the consumer from.
        this.isConnected = true;
        this.joinedOnce = true;
        watch?.membershipUp();
      }
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
      const error: unknown = event.payload.error;
      const restarts = event.payload.restart === true;
      const message = `Kafka consumer crashed: ${describeError(error)}${restarts ? '; kafkajs restarts it' : '; reconnecting'}`;
      this.peers.events.failure('consume', message);
      // Before the first join, a crash kafkajs restarts from is part of connecting (a fresh
      // broker's coordinator loading its group, for example): reported, not a lost connection.
      watch?.membershipDown(message, { connecting: restarts && !this.joinedOnce });
      if (classifyKafkaFailure(error).kind === 'missing-topic')
        void this.checkTopics(new Set(this.options.topics));
      else if (!restarts) void this.reconnect(message);
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
    // Connected once the consumer has joined the group (GROUP_JOIN): run() also returns when
    // its first join failed and kafkajs restarts it.
  }

  private async onFetched({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
    pause,
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
    // Far enough ahead of the plans: hold this partition's fetching (kafkajs drops what a fetch
    // in flight brings for a paused partition, and fetches again from the resolved offset).
    if (!a.buffer.held && a.buffer.isFullAt(this.bufferBound)) {
      this.peers.stats.fetchPauses++;
      a.buffer.holdUntilRoom(this.bufferBound, pause());
    }
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
    for (const a of table.values()) this.seekIfRunning(a.topic, a.partition, a.buffer.position);
    const added: TopicPartition[] = [];
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        if (!table.has({ topic, partition })) added.push({ topic, partition });
      }
    }
    this.peers.events.rebalance(added, revoked.map(parseTopicPartitionKey));
    // Partitions still waiting for a position from an earlier assignment stay only if still assigned.
    this.unpositioned = [
      ...this.unpositioned.filter((tp) => wanted.has(topicPartitionKey(tp.topic, tp.partition))),
      ...added.filter(
        (tp) => !this.unpositioned.some((u) => u.topic === tp.topic && u.partition === tp.partition),
      ),
    ];
    await this.positionAssigned();
  }

  /**
   * Places the assigned partitions not yet positioned, then lets kafkajs fetch them (held since
   * GROUP_JOIN). Should Kafka not answer in time, they stay held and unplanned, and the next plan
   * tries again: nothing is planned from a position that was not looked up.
   */
  private async positionAssigned(): Promise<void> {
    const parts = this.unpositioned;
    if (parts.length === 0) return;
    const table = this.peers.table;
    let starts: ({ readonly tp: TopicPartition } & StartingPosition)[];
    try {
      starts = await this.startingPositions(parts);
    } catch (error) {
      this.peers.events.failure(
        'assign',
        `looking up where partitions ${parts.map((p) => topicPartitionKey(p.topic, p.partition)).join(', ')} start failed: ${describeError(error)}; tried again before the next batch, nothing of them is planned until then`,
      );
      return;
    }
    // Set by connectOnce before the consumer could join; should a failed connect have dropped
    // it meanwhile, the throw fails this assignment, which is reported.
    const consumer = this.consumer;
    if (!consumer) throw new Error(`${this.name}: the consumer disconnected while partitions were assigned`);
    for (const { tp, offset, reset } of starts) {
      const key = topicPartitionKey(tp.topic, tp.partition);
      // Placed: the restart's replay start and logged position were used up by it.
      this.unusedReplayStarts.delete(key);
      this.positionedOnce.add(key);
      if (reset) this.peers.events.offsetsReset(tp, reset);
      table.add(tp, offset);
      consumer.seek({ topic: tp.topic, partition: tp.partition, offset: String(offset) });
    }
    this.unpositioned = this.unpositioned.filter((u) => !table.has(u));
    // Positioned: let kafkajs fetch them (resuming is idempotent). Not when the ranges are read
    // on demand (executors): the consumer keeps the membership only.
    if (!this.peers.onDemand()) {
      const byTopic = new Map<string, number[]>();
      for (const a of table.values()) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a.partition]);
      consumer.resume([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
    }
  }

  /**
   * Where newly assigned partitions start (startingPosition's rules), from their watermarks (asked
   * of their leaders), the group's offsets committed to Kafka and the sink's offset store; an
   * out-of-range stored offset is reported as it falls back to the earliest offset. Every
   * partition given gets a position, topic by topic (topics in the order they first appear), or
   * the lookup throws: Kafka's part of it is bounded by the stream's request time.
   */
  private async startingPositions(
    parts: readonly TopicPartition[],
  ): Promise<({ readonly tp: TopicPartition } & StartingPosition)[]> {
    // Connected by connectOnce before the consumer could join; should a failed connect have
    // dropped them meanwhile, the throw fails this assignment, which is reported.
    const admin = this.admin;
    const offsets = this.offsets;
    if (!admin || !offsets)
      throw new Error(`${this.name}: the Kafka clients disconnected while partitions were assigned`);
    const deadline = Date.now() + this.requestMs;
    const remaining = () => Math.max(deadline - Date.now(), 0);
    const low = await offsets.offsets(parts, 'start', remaining());
    const high = await offsets.offsets(parts, 'end', remaining());
    const missed = new Map([...low.missed, ...high.missed]);
    if (missed.size > 0) {
      throw new Error(`no watermarks for ${[...missed].map(([key, why]) => `${key} (${why})`).join(', ')}`);
    }
    const topics = [...new Set(parts.map((p) => p.topic))];
    const fetchOffsets = admin.fetchOffsets({ groupId: this.options.groupId, topics });
    const committed = await within(
      this.watch?.track('OffsetFetch', this.coordinator, fetchOffsets) ?? fetchOffsets,
      remaining(),
      `OffsetFetch from ${this.coordinator}`,
    );
    // The offset log's positions (and 'skip') place a partition's first assignment of this run
    // only, like the replay starts: one assigned again later resumes where the group (or the
    // sink) says, which is newer than the log read at start.
    const restart = this.restart;
    const loggedPositions = new Map(
      [...(restart?.loggedPositions ?? new Map<string, number>())].filter(
        ([key]) => !this.positionedOnce.has(key),
      ),
    );
    const rules = {
      skipsUncommitted: restart?.skipsUncommitted ?? false,
      loggedPositions,
      replayStart: this.unusedReplayStarts,
      startingOffsets: this.options.startingOffsets,
      offsetStore: this.options.offsetStore !== undefined,
    };
    const out: ({ readonly tp: TopicPartition } & StartingPosition)[] = [];
    for (const topic of topics) {
      const committedByPartition = new Map(
        (committed.find((c) => c.topic === topic)?.partitions ?? []).map(
          (p) => [p.partition, Number(p.offset)] as const,
        ),
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
          low: low.offsets.get(key) ?? 0,
          high: high.offsets.get(key) ?? 0,
          sinkOffset: sinkOffsets.get(partition),
          committedOffset: committedByPartition.get(partition),
          addedToTopic: !(this.initialPartitions?.get(topic)?.has(partition) ?? true),
        });
        if (!sinkOffsets.has(partition))
          this.options.offsetStore?.startingAt?.(topic, partition, start.offset);
        out.push({ tp, ...start });
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
        if (!stored.has(a.partition)) this.options.offsetStore?.startingAt?.(topic, a.partition, start);
        if (start === a.current) continue;
        a.current = start;
        a.buffer.reset(start);
        this.seekIfRunning(topic, a.partition, start);
      }
    }
  }

  /**
   * Moves kafkajs' fetch position of an owned partition. kafkajs refuses (throws) while its
   * consumer is not running, e.g. restarting after a crash; nothing is lost by skipping it then:
   * the table holds the position, and the next assignment seeks every retained partition to it
   * (onAssignment). Throwing here failed batch generation and stopped the agent.
   */
  private seekIfRunning(topic: string, partition: number, offset: number): void {
    try {
      this.consumer?.seek({ topic, partition, offset: String(offset) });
    } catch {
      // Not running: see above.
    }
  }

  /**
   * A batch's until-offsets of the partitions still owned, to the group (best effort and bounded:
   * the offset log is the source of truth; Kafka's copy is for outside lag tools and the next owner).
   */
  async commit(batchTimeMs: number, ranges: readonly OffsetRange[]): Promise<void> {
    const consumer = this.consumer;
    // An empty range moves nothing when the batch before it succeeded; when that batch failed
    // (its partition is being re-planned), committing the empty range's offset would skip the
    // failed batch's records: so empty ranges are never committed.
    const owned = ranges.filter((r) => r.untilOffset > r.fromOffset && this.peers.table.has(r));
    if (owned.length === 0 || !consumer) return;
    if (this.options.offsetStore?.ownsGroupOffsets) {
      // The sink committed these offsets inside its own transactions (a range it had not applied
      // failed the batch): only the table learns of them, for the committed lag.
      this.peers.table.committedTo(owned);
      return;
    }
    await this.commits?.commit(consumer, batchTimeMs, owned);
  }

  async stop(): Promise<void> {
    this.halted = true;
    this.wakeConnectLoop?.();
    await this.connectLoop?.catch(() => {});
    await this.commits?.flush(this.requestMs);
    await this.disconnectQuietly({ leaving: true });
  }

  /**
   * Drops every connection (each disconnect bounded: a broker that does not answer must not hold
   * a stop). `leaving`: the stream stops; once the consumer has left the group, its member id
   * names no member any more and is forgotten.
   */
  private async disconnectQuietly({ leaving = false }: { leaving?: boolean } = {}): Promise<void> {
    this.isConnected = false;
    const consumer = this.consumer;
    const admin = this.admin;
    const offsets = this.offsets;
    const producer = this.peers.deadLetters.detach();
    this.consumer = undefined;
    this.admin = undefined;
    this.offsets = undefined;
    const reader = this.rangeReader;
    this.rangeReader = undefined;
    const bound = this.requestMs;
    const left = consumer
      ? await within(consumer.disconnect(), bound, 'leaving the group').then(
          () => true,
          () => false,
        )
      : false;
    if (left && leaving) await this.member?.left();
    await within(producer?.disconnect() ?? Promise.resolve(), bound, 'disconnecting').catch(() => {});
    await within(admin?.disconnect() ?? Promise.resolve(), bound, 'disconnecting').catch(() => {});
    await offsets?.close();
    await reader?.close();
  }
}
