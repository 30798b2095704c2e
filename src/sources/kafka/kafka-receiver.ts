/**
 * The reliable Kafka receiver behind kafkaReceiverStream (Spark's ReliableKafkaReceiver): a
 * group consumer whose fetched batches are stored as blocks (written to the write-ahead log when
 * the context has a checkpoint directory) and whose offsets are committed to Kafka only AFTER the
 * block is stored. At-least-once: a crash between the WAL write and the offset commit, or a
 * rebalance that moves a partition with uncommitted records, delivers those records again: at
 * most the batches in flight per partition (one fetch each) are duplicated. The direct stream
 * (kafkaDirectStream) needs no receiver and no WAL and is the exactly-once path; see docs/kafka.md.
 *
 * Its connection, as the stream reports it: not connected while the consumer connects and joins
 * (`connecting to <brokers>`), connected once it runs; every fetch answered and every heartbeat
 * counts as an answer from the brokers. A request that times out (a broker that does not answer,
 * after kafkajs' `requestTimeout`) or a crash kafkajs restarts by itself is a disconnection until
 * the next fetch is answered; so is silence: a running consumer that hears nothing (no fetch,
 * no heartbeat answered, no batch worked on) for SILENCE_MS is stalled behind a frozen broker or a
 * partitioned network that kafkajs would notice only at its request timeout. A crash kafkajs does
 * not restart restarts the receiver.
 */
// Before kafkajs: its consumer must get the correct read_committed filter (see the module).
import type { Consumer, KafkaConfig } from 'kafkajs';
import { describeError } from '../../errors.js';
import { Receiver } from '../../receiver/receiver.js';
import { decodeHeaders, type KafkaRecord, recordUid } from './kafka-record.js';
import { kafkaClient } from './kafkajs-client.js';

export interface KafkaReceiverStreamOptions<V = string | null> {
  brokers: string[];
  topics: string[];
  groupId: string;
  clientId?: string;
  /** Where a partition with no committed offset starts; default 'latest'. */
  startingOffsets?: 'earliest' | 'latest';
  /** Turns the raw value into V; default: UTF-8 text (null stays null). A throw skips the record and reports it. */
  decode?: (value: Buffer | null) => V;
  /** Event time of a record, epoch ms; default: its Kafka timestamp. */
  eventTime?: (record: KafkaRecord<V>) => number;
  consumer?: {
    sessionTimeoutMs?: number;
    heartbeatIntervalMs?: number;
    rebalanceTimeoutMs?: number;
    maxWaitTimeMs?: number;
    /** Largest fetch per partition, bytes (bounds one block); default kafkajs' 1 MiB. */
    maxBytesPerPartition?: number;
  };
  kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'>;
}

/** Silence after which a running consumer counts as stalled (at least 4 fetch waits). */
const SILENCE_MS = 2000;

const defaultDecode = (value: Buffer | null) => (value === null ? null : value.toString('utf8'));

export class KafkaReceiver<V = string | null> extends Receiver<KafkaRecord<V>> {
  private consumer: Consumer | undefined;
  private isConnected = false;
  /** Whether consumer.run() returned for the current start: answers may then connect it again. */
  private running = false;
  /** When the brokers last answered (a fetch, a heartbeat) or a batch was being worked on. */
  private heardAt = 0;
  /** Bumped by every start and stop: a start still loading kafkajs when stopped gives up. */
  private generation = 0;
  /** Records the decoder rejected (skipped and reported). */
  decodeErrors = 0;

  constructor(private readonly options: KafkaReceiverStreamOptions<V>) {
    super();
    if (options.topics.length === 0) throw new RangeError('kafkaReceiverStream needs at least one topic');
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** The options that say where the receiver reads (read-only: kafka-input-target.ts describes them). */
  get connectionOptions(): Readonly<Omit<KafkaReceiverStreamOptions<V>, 'decode' | 'eventTime'>> {
    return this.options;
  }

  /** Must not block (Receiver's contract): connecting, and loading kafkajs, happen after it returns. */
  onStart(): void {
    const generation = ++this.generation;
    this.running = false;
    this.reportDisconnected(`connecting to ${this.options.brokers.join(',')}`, { pending: true });
    void this.connect(generation).catch((error) => {
      if (this.generation === generation) this.restart('the Kafka consumer failed to start', error);
    });
  }

  private async connect(generation: number): Promise<void> {
    const o = this.options;
    const kafka = await kafkaClient({
      ...o.kafka,
      brokers: o.brokers,
      clientId: o.clientId ?? `sidestream-receiver-${o.groupId}`,
    });
    if (this.generation !== generation) return;
    const consumer = kafka.consumer({
      groupId: o.groupId,
      maxWaitTimeInMs: o.consumer?.maxWaitTimeMs ?? 500,
      ...(o.consumer?.sessionTimeoutMs === undefined ? {} : { sessionTimeout: o.consumer.sessionTimeoutMs }),
      ...(o.consumer?.heartbeatIntervalMs === undefined
        ? {}
        : { heartbeatInterval: o.consumer.heartbeatIntervalMs }),
      ...(o.consumer?.rebalanceTimeoutMs === undefined
        ? {}
        : { rebalanceTimeout: o.consumer.rebalanceTimeoutMs }),
      ...(o.consumer?.maxBytesPerPartition === undefined
        ? {}
        : { maxBytesPerPartition: o.consumer.maxBytesPerPartition }),
    });
    this.consumer = consumer;
    const current = () => this.consumer === consumer;
    consumer.on(consumer.events.CRASH, (event) => {
      if (!current()) return;
      // kafkajs restarts itself after retriable crashes; anything else is ours to restart.
      if (!event.payload.restart) this.restart('the Kafka consumer crashed', event.payload.error);
      else
        this.disconnected(
          `the Kafka consumer crashed (${describeError(event.payload.error)}); kafkajs restarts it`,
        );
    });
    consumer.on(consumer.events.REQUEST_TIMEOUT, (event) => {
      if (current())
        this.disconnected(
          `no answer from broker ${event.payload.broker} to ${event.payload.apiName} within ${event.payload.pendingDuration} ms`,
        );
    });
    const answered = () => {
      if (!current()) return;
      this.heardAt = Date.now();
      this.reportResponse();
      if (this.running && !this.isConnected) {
        this.isConnected = true;
        this.reportConnected();
      }
    };
    consumer.on(consumer.events.FETCH, answered);
    consumer.on(consumer.events.HEARTBEAT, () => {
      if (!current()) return;
      this.heardAt = Date.now();
      this.reportResponse();
    });
    try {
      await this.run(consumer);
    } catch (error) {
      if (this.consumer === consumer) throw error;
    }
  }

  private async run(consumer: Consumer): Promise<void> {
    const o = this.options;
    const decode = o.decode ?? (defaultDecode as unknown as (value: Buffer | null) => V);
    await consumer.connect();
    await consumer.subscribe({ topics: o.topics, fromBeginning: o.startingOffsets === 'earliest' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        // Work on a batch is not silence: no fetch is sent while it runs.
        this.heardAt = Date.now();
        const last = batch.messages.at(-1)?.offset;
        if (!isRunning() || isStale() || last === undefined) return;
        const { topic, partition } = batch;
        const records: KafkaRecord<V>[] = [];
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          let value: V;
          try {
            value = decode(m.value);
          } catch (error) {
            this.decodeErrors++;
            this.reportError(
              `record ${recordUid(topic, partition, offset)} skipped: ${describeError(error)}`,
            );
            continue;
          }
          records.push({
            topic,
            partition,
            offset,
            key: m.key === null ? null : m.key.toString('utf8'),
            value,
            timestamp: Number(m.timestamp),
            headers: decodeHeaders(m.headers),
            uid: recordUid(topic, partition, offset),
          });
        }
        // Durable first (the WAL), then tell Kafka: a crash in between re-delivers, never loses.
        await this.storeBlock(records);
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(last) + 1) }]);
        resolveOffset(last);
        await heartbeat();
        this.heardAt = Date.now();
      },
    });
    // A stop or restart while run() was joining the group: that consumer is not ours any more.
    if (this.consumer !== consumer) return;
    this.running = true;
    this.isConnected = true;
    this.heardAt = Date.now();
    this.reportConnected();
    this.reportResponse();
    this.watchSilence(consumer);
  }

  /**
   * A running consumer fetches at least every maxWaitTimeMs even when nothing is produced, so
   * silence longer than SILENCE_MS means the brokers stopped answering: a partitioned network or a
   * frozen broker keeps the TCP connection open, and kafkajs would say so only after its request
   * timeout (30 s by default).
   */
  private watchSilence(consumer: Consumer): void {
    const silenceMs = Math.max(SILENCE_MS, 4 * (this.options.consumer?.maxWaitTimeMs ?? 500));
    const timer = setInterval(() => {
      if (this.consumer !== consumer) {
        clearInterval(timer);
        return;
      }
      const silent = Date.now() - this.heardAt;
      if (this.running && this.isConnected && silent >= silenceMs)
        this.disconnected(
          `no answer from Kafka at ${this.options.brokers.join(',')} for ${(silent / 1000).toFixed(1)} s (fetches and heartbeats unanswered)`,
        );
    }, 250);
    timer.unref();
  }

  /** The brokers stopped answering: not connected until the next fetch is answered. */
  private disconnected(reason: string): void {
    this.isConnected = false;
    this.reportDisconnected(reason);
  }

  onStop(): void {
    this.generation++;
    const consumer = this.consumer;
    this.consumer = undefined;
    this.isConnected = false;
    this.running = false;
    void consumer?.disconnect().catch(() => {});
  }
}
