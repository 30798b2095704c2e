/**
 * Exactly-once into Kafka: what one input partition's range produced, and that range's
 * until-offset for the stream's consumer group, are written in ONE Kafka transaction
 * (transactional producer + sendOffsets). Consumers of the output with isolation read_committed
 * see each input record's output exactly once.
 *
 * Why one transactional producer per input partition (transactional id
 * `<prefix>-<topic>-<partition>`): kafkajs has no consumer-group fencing for transactions
 * (KIP-447), so the transactional id itself must follow the partition. When a partition moves to
 * another agent (or a restarted one), the new owner initialises the same transactional id BEFORE
 * reading where to start (`fetchOffsets`), which aborts anything the old owner left open and
 * fences it out; the offsets it then reads are final. This is Kafka Streams' original
 * exactly-once design.
 *
 * Guarantee, precisely: output written through `commitPartition` for a range is visible to
 * read_committed consumers exactly once; a cross-partition aggregate cannot be written this way
 * (use the PostgreSQL sink for those).
 */
// Before kafkajs: its consumer must get the correct read_committed filter (see the module).
import type { Admin, Kafka, KafkaConfig, Message, PartitionMetadata, Producer } from 'kafkajs';
import { SidestreamError } from '../errors.js';
import { KAFKA_CODEC_IDS, KAFKA_CODECS, type KafkaCodec } from '../sources/kafka/kafka-codecs.js';
import type { KafkaFailureKind } from '../sources/kafka/kafka-failures.js';
import { kafkaClient } from '../sources/kafka/kafkajs-client.js';
import { sendByPartition } from '../sources/kafka/kafkajs-send-by-partition.js';
import type { OffsetStore } from '../sources/kafka/offset-store.js';
import { whileCoordinatorMoves } from '../sources/kafka/while-coordinator-moves.js';
import { whileKafkaRecovers } from '../sources/kafka/while-kafka-recovers.js';
import { type OffsetRange, topicPartitionKey } from '../topic-partition.js';
import type { CommitOutcome } from './postgres-transactional-sink.js';

/** How the sink compresses the record batches it writes: Kafka's codecs, or none. */
export type KafkaSinkCompression = 'none' | KafkaCodec;

const COMPRESSIONS: readonly KafkaSinkCompression[] = ['none', ...KAFKA_CODECS];

export interface KafkaSinkOptions {
  brokers: string[];
  /** The input stream's consumer group: its offsets are committed inside each transaction. */
  groupId: string;
  /** Prefix of the per-partition transactional ids; default `sidestream-<groupId>`. */
  transactionalIdPrefix?: string;
  /** kafkajs client settings passed through (ssl, sasl, ...). */
  kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'>;
  /**
   * The codec of the output's record batches (the Java producer's compression.type); default
   * 'none'. Every Kafka client reads all four (docs/kafka.md, "Compression codecs").
   */
  compression?: KafkaSinkCompression;
}

/**
 * The failures a commit waits out (kafka-failures.ts): brokers not answering (killed, frozen,
 * restarting), leaders and coordinators moving, and other errors kafkajs calls retriable. Never
 * an offset conflict or a fenced producer (our own errors, thrown at once), a missing topic or
 * a permanent error.
 */
const RIDE_OUT: ReadonlySet<KafkaFailureKind> = new Set([
  'no-answer',
  'leadership',
  'coordinator',
  'retriable',
]);

/** How long one commit waits out such failures before its task attempt fails. */
export const COMMIT_RECOVERY_WAIT_MS = 30_000;

export interface OutputMessages {
  readonly topic: string;
  readonly messages: Message[];
}

export class KafkaTransactionalSink implements OffsetStore {
  /** The group's committed offsets are this sink's store: the stream must not commit them too. */
  readonly ownsGroupOffsets = true;
  private kafka: Promise<Kafka> | undefined;
  private readonly producers = new Map<string, Promise<Producer>>();
  private admin: Promise<Admin> | undefined;
  private readonly prefix: string;
  /** kafkajs' CompressionTypes value of `options.compression` (0: none). */
  private readonly compression: number;
  /**
   * The group's offset per partition as this sink last set or read it. Needed because a
   * transaction's offsets become visible to OffsetFetch only once its commit markers are written,
   * a moment after commit() returns, and kafkajs cannot ask for stable offsets (KIP-447): the
   * next batch must not read the previous one's offset back from the broker. Exact while this
   * sink's producer owns the partition (it fences every other writer of it).
   *
   * Each entry names the producer it was read or written under, and counts only while that
   * producer is still the partition's: an offset read under one producer says nothing once
   * another has been initialised. A fleet soak committed a range twice without this rule: the
   * second transaction, from a producer initialised after the first had committed, started
   * from the offset before it. The likeliest path in its logs: a read of the group's offset
   * made under the previous, already fenced producer and answered after it was replaced, then
   * taken as the new producer's.
   */
  private readonly known = new Map<string, { offset: number; producer: Promise<Producer> }>();
  /** Where the stream started partitions with no committed offset (OffsetStore.startingAt). */
  private readonly starts = new Map<string, number>();
  /**
   * Partitions whose producer another owner fenced. Never re-initialised on the way to a commit:
   * that would fence the new owner in turn. Only fetchOffsets (a new assignment) clears them.
   */
  private readonly fenced = new Set<string>();
  /** Output topics' partition metadata, read once (again after a failed transaction). */
  private readonly outputPartitions = new Map<string, Promise<PartitionMetadata[]>>();

  constructor(private readonly options: KafkaSinkOptions) {
    if (!options.groupId)
      throw new SidestreamError('SS_CONFIG_INVALID', 'KafkaTransactionalSink: groupId is required');
    this.prefix = options.transactionalIdPrefix ?? `sidestream-${options.groupId}`;
    const compression: unknown = options.compression === undefined ? 'none' : options.compression;
    if (!COMPRESSIONS.includes(compression as KafkaSinkCompression))
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `KafkaTransactionalSink: compression must be one of ${COMPRESSIONS.map((c) => `'${c}'`).join(', ')}; got ${JSON.stringify(compression)}`,
      );
    this.compression = compression === 'none' ? 0 : KAFKA_CODEC_IDS[compression as KafkaCodec];
  }

  /** Where the sink writes, read-only, for checks made before the job starts (`sidestream validate --connect`). */
  get target(): Readonly<KafkaSinkOptions> {
    return this.options;
  }

  /**
   * The kafkajs client, created (and kafkajs loaded) on first use. Protected so that a test can
   * put a Kafka double behind the sink and order its answers (test/sinks/).
   */
  protected client(): Promise<Kafka> {
    this.kafka ??= kafkaClient({
      ...this.options.kafka,
      brokers: this.options.brokers,
      clientId: `${this.prefix}-sink`,
    });
    return this.kafka;
  }

  private adminClient(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = (await this.client()).admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }

  /** The producer owning one input partition, initialised (and so fencing older owners). */
  private producerFor(topic: string, partition: number): Promise<Producer> {
    // The key is also the transactional id's suffix: it must stay the same across versions.
    const key = topicPartitionKey(topic, partition);
    let producer = this.producers.get(key);
    if (!producer) {
      producer = (async () => {
        const p = (await this.client()).producer({
          transactionalId: `${this.prefix}-${key}`,
          idempotent: true,
          maxInFlightRequests: 1,
        });
        await p.connect();
        // An empty transaction initialises the producer id: the broker aborts whatever the
        // previous holder of this transactional id left open, and fences it from now on.
        const fence = await p.transaction();
        await fence.abort();
        return p;
      })();
      producer.catch(() => this.producers.delete(key));
      this.producers.set(key, producer);
    }
    return producer;
  }

  /** Fences the previous owners of these partitions, then reads the group's committed offsets. */
  async fetchOffsets(topic: string, partitions: readonly number[]): Promise<Map<number, number>> {
    // Initialising the producer waits until the previous owner's last transaction is complete
    // (its markers written), so the offsets read afterwards are final.
    for (const p of partitions) this.fenced.delete(topicPartitionKey(topic, p));
    const owners = new Map(partitions.map((p) => [p, this.producerFor(topic, p)]));
    await Promise.all(owners.values());
    const offsets = await this.committed(topic, partitions);
    for (const [p, owner] of owners) {
      const key = topicPartitionKey(topic, p);
      const read = offsets.get(p);
      // A transaction this sink committed a moment ago may not be visible to OffsetFetch yet (its
      // markers): a re-read right after it (a batch that failed after this partition committed,
      // then re-planned from the stored offsets) must not step back behind it, or its range
      // would be written again. Offsets only move forward; another owner moves them past ours.
      const mine = this.knownUnder(key, owner);
      const offset = mine !== undefined && (read === undefined || read < mine) ? mine : read;
      if (offset !== undefined) offsets.set(p, offset);
      // Recorded only if the producer is still the one the read was made under (see `known`).
      if (offset === undefined || this.producers.get(key) !== owner) this.known.delete(key);
      else this.known.set(key, { offset, producer: owner });
    }
    return offsets;
  }

  /**
   * No offset committed for the partition yet: only a range from the stream's start may commit.
   * Kept apart from `known` (offsets this sink committed or read): fetchOffsets must never report
   * an offset nothing committed.
   */
  startingAt(topic: string, partition: number, offset: number): void {
    this.starts.set(topicPartitionKey(topic, partition), offset);
  }

  private async committed(topic: string, partitions: readonly number[]): Promise<Map<number, number>> {
    const admin = await this.adminClient();
    const [entry] = await whileCoordinatorMoves(() =>
      admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] }),
    );
    const out = new Map<number, number>();
    for (const p of entry?.partitions ?? []) {
      const offset = Number(p.offset);
      if (partitions.includes(p.partition) && offset >= 0) out.set(p.partition, offset);
    }
    return out;
  }

  /**
   * Writes `outputs` and commits `range.untilOffset` for the group in one transaction, if the
   * group's committed offset is the range's from-offset (or none yet). 'already-applied' when
   * it is the until-offset already (a replayed range); SS_SINK_OFFSET_CONFLICT otherwise.
   */
  async commitPartition(range: OffsetRange, outputs: readonly OutputMessages[]): Promise<CommitOutcome> {
    if (range.untilOffset <= range.fromOffset) return 'empty';
    // A failed attempt below leaves nothing behind that a second one would trust (it drops the
    // producer and the offset believed committed), so trying again here is what a task retry
    // does, only after a pause: a broker outage does not spend the task's attempts at once.
    return whileKafkaRecovers(() => this.commitOnce(range, outputs), RIDE_OUT, COMMIT_RECOVERY_WAIT_MS);
  }

  private async commitOnce(range: OffsetRange, outputs: readonly OutputMessages[]): Promise<CommitOutcome> {
    const key = topicPartitionKey(range.topic, range.partition);
    if (this.fenced.has(key)) throw this.fencedError(range);
    const owner = this.producerFor(range.topic, range.partition);
    const producer = await owner;
    // Read after the producer is initialised: its initialisation waited until the previous
    // holder's last transaction was complete, so the group's offset read now is final.
    const stored =
      this.knownUnder(key, owner) ??
      (await this.committed(range.topic, [range.partition])).get(range.partition);
    if (stored === range.untilOffset) return 'already-applied';
    const expected = stored ?? this.starts.get(key);
    if (expected !== undefined && expected !== range.fromOffset) {
      throw new SidestreamError(
        'SS_SINK_OFFSET_CONFLICT',
        `group ${this.options.groupId} ${stored === undefined ? `has committed nothing and the stream started at ${expected}` : `has committed ${stored}`} for ${range.topic}-${range.partition}, ` +
          `but this range is [${range.fromOffset}, ${range.untilOffset}); nothing was written. ` +
          'Restart the stream with this sink as its offsetStore so that it resumes from the committed offset',
      );
    }
    const txn = await producer.transaction();
    try {
      // One send per output partition: see kafkajs-send-by-partition.ts for the records kafkajs
      // drops when a leader moves during a send to several partitions.
      for (const out of outputs)
        if (out.messages.length > 0)
          await sendByPartition(
            (r) => txn.send({ ...r, compression: this.compression }),
            out.topic,
            out.messages,
            await this.partitionsOf(out.topic),
          );
      await txn.sendOffsets({
        consumerGroupId: this.options.groupId,
        topics: [
          {
            topic: range.topic,
            partitions: [{ partition: range.partition, offset: String(range.untilOffset) }],
          },
        ],
      });
      await txn.commit();
      this.known.set(key, { offset: range.untilOffset, producer: owner });
      return 'applied';
    } catch (error) {
      await txn.abort().catch(() => {});
      // A partition count read before the topic grew would leave its new partitions unused.
      for (const out of outputs) this.outputPartitions.delete(out.topic);
      if (isFencing(error)) {
        // Another agent initialised this partition's transactional id: it owns the partition now.
        this.fenced.add(key);
        this.known.delete(key);
        const stale = this.producers.get(key);
        this.producers.delete(key);
        void stale?.then((p) => p.disconnect()).catch(() => {});
        throw this.fencedError(range, error);
      }
      // The commit's outcome is unknown (a broker died or froze mid-commit: the coordinator may
      // have committed it all the same). Forget the offset believed committed, and the producer:
      // the retry initialises a new one, which waits until this transaction is complete one way
      // or the other, then reads the group's offset as it really is. Trusting the old offset
      // would write a committed range a second time.
      this.known.delete(key);
      const stale = this.producers.get(key);
      this.producers.delete(key);
      void stale?.then((p) => p.disconnect()).catch(() => {});
      throw error;
    }
  }

  /** The offset `known` holds for `key`, if it was read or written under `owner`. */
  private knownUnder(key: string, owner: Promise<Producer>): number | undefined {
    const entry = this.known.get(key);
    return entry !== undefined && entry.producer === owner ? entry.offset : undefined;
  }

  private partitionsOf(topic: string): Promise<PartitionMetadata[]> {
    let partitions = this.outputPartitions.get(topic);
    if (!partitions) {
      partitions = (async () => {
        const admin = await this.adminClient();
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return topics[0]?.partitions ?? [];
      })();
      partitions.catch(() => this.outputPartitions.delete(topic));
      this.outputPartitions.set(topic, partitions);
    }
    return partitions;
  }

  private fencedError(range: OffsetRange, cause?: unknown): SidestreamError {
    return new SidestreamError(
      'SS_SINK_OFFSET_CONFLICT',
      `another agent now owns ${range.topic}-${range.partition} (its transactional producer fenced this one); ` +
        `nothing of [${range.fromOffset}, ${range.untilOffset}) was committed here`,
      cause === undefined ? {} : { cause },
    );
  }

  async close(): Promise<void> {
    const producers = [...this.producers.values()];
    this.producers.clear();
    for (const p of producers) await p.then((x) => x.disconnect()).catch(() => {});
    const admin = this.admin;
    this.admin = undefined;
    await admin?.then((a) => a.disconnect()).catch(() => {});
  }
}

/**
 * kafkajs' errors for a transactional producer that a newer one with the same id replaced,
 * possibly wrapped by its retrier (cause / originalError).
 */
function isFencing(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    const { type, name, code } = e as { type?: unknown; name?: unknown; code?: unknown };
    if (type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED' || code === 47 || code === 90)
      return true;
    if (name === 'KafkaJSProducerFencedError') return true;
    e =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
  }
  return false;
}
