/**
 * Records a direct stream's decoder rejects: produced to the dead-letter topic when there is one
 * (the original record plus `sidestream-*` headers saying why and where it came from), then
 * counted and reported once each. Owns the dead-letter producer, which connects and disconnects
 * with the group membership. docs/kafka.md ("Records the decoder rejects") is the user's view.
 */
import type { IHeaders, Kafka, PartitionMetadata, Producer } from 'kafkajs';
import { describeError } from '../../errors.js';
import type { OffsetRange } from '../../topic-partition.js';
import { errorType, type Rejected } from './decode-range.js';
import type { DirectStreamEvents } from './direct-stream-events.js';
import type { KafkaConnectionOptions } from './kafka-direct-stream-options.js';
import { sendByPartition } from './kafkajs-send-by-partition.js';

export class DeadLetters {
  private producer: Producer | undefined;
  private kafka: Kafka | undefined;
  /** The dead-letter topic's partitions, read at connect (again after a failed send). */
  private partitions: PartitionMetadata[] = [];
  /** Sends, one at a time (kafkajs' idempotent producer misorders concurrent sends). */
  private sends: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: Pick<KafkaConnectionOptions, 'deadLetterTopic' | 'kafka'>,
    private readonly events: DirectStreamEvents,
  ) {}

  /** Connects the producer when the stream has a dead-letter topic (its existence is checked before). */
  async connect(kafka: Kafka): Promise<void> {
    if (this.options.deadLetterTopic === undefined) return;
    // Idempotent, so a send kafkajs retries internally is written once. Its retries stay
    // bounded (kafkajs' idempotent default is unbounded): a send that keeps failing fails its
    // task, and the engine retries the task.
    this.kafka = kafka;
    await this.renew(this.options.deadLetterTopic);
  }

  /** A new producer (a new producer id, so sequence numbers start afresh) and fresh metadata. */
  private async renew(topic: string): Promise<void> {
    const kafka = this.kafka;
    if (!kafka) return;
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { ...this.options.kafka?.retry, retries: this.options.kafka?.retry?.retries ?? 5 },
    });
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      this.partitions = topics[0]?.partitions ?? [];
    } finally {
      await admin.disconnect().catch(() => {});
    }
    this.producer = producer;
  }

  /** Forgets the producer at once (later sends fail: not connected) and hands it over to be disconnected. */
  detach(): Producer | undefined {
    const producer = this.producer;
    this.producer = undefined;
    this.kafka = undefined;
    return producer;
  }

  /**
   * Records of one range the decoder rejected: dead-lettered first when a topic is set (awaited:
   * a failed send fails the task, which is retried), then counted and reported once each. Their
   * offsets go into `handled`, so a retried task neither sends nor counts them again.
   */
  async reject(r: OffsetRange, rejected: readonly Rejected[], handled: Set<number>): Promise<void> {
    const topic = this.options.deadLetterTopic;
    if (topic !== undefined) await this.send(topic, r, rejected);
    for (const { raw, error } of rejected) {
      handled.add(raw.offset);
      this.events.recordError(r, raw.offset, error, topic !== undefined);
    }
  }

  private async send(topic: string, r: OffsetRange, rejected: readonly Rejected[]): Promise<void> {
    // Replaced after a failed send, and that may have failed too (the broker still down).
    if (!this.producer && this.kafka) await this.renew(topic).catch(() => {});
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
    // One send per partition (kafkajs-send-by-partition.ts: a multi-partition send can drop a
    // partition's records when its leader moves).
    const send = this.sends.then(() =>
      sendByPartition((m) => producer.send({ ...m, acks: -1 }), topic, messages, this.partitions).catch(
        async (error: unknown) => {
          // kafkajs hands a failed send's sequence numbers to the next send: were the failed
          // records written after all, the broker would take the next ones for duplicates and
          // drop them. A new producer starts afresh; the task's retry sends these again.
          if (this.producer === producer) {
            this.producer = undefined;
            await producer.disconnect().catch(() => {});
            await this.renew(topic).catch(() => {});
          }
          throw error;
        },
      ),
    );
    this.sends = send.catch(() => {});
    await send;
  }
}
