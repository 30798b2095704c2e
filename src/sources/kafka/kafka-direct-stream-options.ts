/**
 * What a user passes to kafkaDirectStream: the options (docs/kafka.md documents each), their
 * validation, which fails fast before anything connects, and the kafkajs client they describe
 * (the driver's group consumer and an executor worker's range reader are built from the same one).
 */
import type { Kafka, KafkaConfig } from 'kafkajs';
import { SidestreamError } from '../../errors.js';
import type { KafkaRecord, RawKafkaMessage } from './kafka-record.js';
import { kafkaClient } from './kafkajs-client.js';
import type { OffsetStore } from './offset-store.js';

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
  maxRatePerPartition?: number | undefined;
  /** Records/s per partition a cap never goes below; default 1. */
  minRatePerPartition?: number | undefined;
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
   * true: the group consumer fetches ahead into per-partition buffers and a task takes its range
   * from there (at most maxBufferedRecordsPerPartition ahead). Default false: a task reads its
   * range from the partition's leader when it runs, as executors do and as Spark's KafkaRDD does.
   */
  readAhead?: boolean;
  /**
   * With readAhead, records the group consumer may hold fetched ahead of the batches, per
   * partition; past it fetching the partition pauses until batches have taken half of them (a
   * planned range is always fetched whole). Bounds memory when the engine falls behind. Default
   * 50000.
   */
  maxBufferedRecordsPerPartition?: number;
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

/** The options that say how to reach Kafka and the group, whatever the record type. */
export type KafkaConnectionOptions = Omit<KafkaDirectStreamOptions<never>, 'decode' | 'eventTime'>;

/** Throws SS_CONFIG_INVALID, naming the option, for options the stream cannot run with. */
export function validateKafkaDirectStreamOptions(options: KafkaConnectionOptions): void {
  if (options.topics.length === 0)
    throw new SidestreamError('SS_CONFIG_INVALID', 'kafkaDirectStream: topics must name at least one topic');
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
  const bound = options.maxBufferedRecordsPerPartition;
  if (bound !== undefined && !(Number.isInteger(bound) && bound > 0))
    throw new SidestreamError(
      'SS_CONFIG_INVALID',
      `kafkaDirectStream: maxBufferedRecordsPerPartition must be a positive whole number of records (got ${bound}); leave it out for the default, ${DEFAULT_MAX_BUFFERED_RECORDS}`,
    );
}

/** maxBufferedRecordsPerPartition's default: about a second of a busy partition, several times over. */
export const DEFAULT_MAX_BUFFERED_RECORDS = 50_000;

/**
 * A kafkajs client for the stream: its brokers, its client id, and silent unless told otherwise.
 * kafkajs itself is loaded here, on first use (kafkajs-client.ts).
 */
export function kafkaClientFor(options: KafkaConnectionOptions): Promise<Kafka> {
  return kafkaClient({
    ...options.kafka,
    brokers: options.brokers,
    clientId: options.clientId ?? `sidestream-${options.groupId}`,
  });
}
