/**
 * KafkaRangeReader: reads exactly the records of `[from, until)` of one partition, the way a
 * Spark executor's KafkaRDD does (assign + seek + poll): fetch requests sent straight to the
 * partition's leader, no consumer group. Executor worker threads use it so a Kafka task reads
 * its own range instead of receiving the records from the driver (docs/design/executors.md).
 *
 * kafkajs has no public assign(): the leader is reached through kafkajs' internal cluster
 * (kafkajs-cluster.ts). The Fetch request goes out through kafkajs (kafkajs-raw-fetch.ts) but its
 * record sets are decoded by our own decoder (record-batch/decode-record-batches.ts: numbers and
 * positions in the fetched bytes, one object per record, which the range hands on as is), and
 * filtered to their read_committed view by committedBatchRecords (not kafkajs' own filter, which
 * lets interleaved aborted transactions through). Every fetch is bounded by what is left of the
 * read's time, so a leader that stops answering fails the read in time instead of holding it for
 * kafkajs' request timeout; on the driver, every fetch is tracked by the stream's BrokerWatch
 * (the `observer`). `readEach` hands a range on one fetch at a time with the next fetch in
 * flight, which is how tasks read; `read` collects it whole.
 */
import type { Kafka } from 'kafkajs';
import { type RequestObserver, within } from './broker-watch.js';
import type { FetchedRecord } from './committed-records.js';
import { decompress } from './kafka-codecs.js';
import { decodeHeaders, type RawKafkaMessage } from './kafka-record.js';
import { createKafkajsCluster, type KafkajsCluster, READ_COMMITTED } from './kafkajs-cluster.js';
import { fetchRaw } from './kafkajs-raw-fetch.js';
import { committedBatchRecords } from './record-batch/committed-batch-records.js';
import { type Decompress, decodeRecordBatches } from './record-batch/decode-record-batches.js';
import type { KafkaBatchRecord } from './record-batch/kafka-batch-record.js';
import { nextOffsetAfter } from './record-batch/record-batch.js';

/** One fetch of one partition: its read_committed records and how far the fetch reached. */
interface Fetched {
  /** Committed data records at or past the fetch offset, in offset order. */
  readonly records: KafkaBatchRecord[];
  /**
   * One past the last offset of the last batch the fetch returned (data, control or aborted, and
   * records compaction removed), if a batch reached the fetch offset.
   */
  readonly nextOffset: number | undefined;
  /** The fetch returned batches, all below the fetch offset. */
  readonly onlyBelow: boolean;
}

/** Errors after which a fresh metadata lookup finds the partition's current leader. */
const STALE_METADATA = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'REPLICA_NOT_AVAILABLE',
  'BROKER_NOT_AVAILABLE',
]);

/** The range was (partly) deleted by retention before it was read. */
export interface OffsetsDeleted {
  readonly storedOffset: number;
  readonly resetTo: number;
}

export interface RangeRead {
  readonly messages: RawKafkaMessage[];
  /** Set when `from` was below the partition's earliest retained offset. */
  readonly deleted?: OffsetsDeleted;
}

export interface KafkaRangeReaderOptions {
  /** Longest a fetch may wait at the broker for data; default 500 ms. */
  readonly maxWaitTimeMs?: number;
  /** Bytes one fetch may return for the partition; default 1 MiB (kafkajs' default). */
  readonly maxBytesPerPartition?: number;
  readonly metadataMaxAgeMs?: number;
  /** Sees every fetch (the driver's BrokerWatch); none in executor workers. */
  readonly observer?: RequestObserver | undefined;
  /** Decompresses compressed record batches; by default the codec table (kafka-codecs.ts). */
  readonly decompress?: Decompress | undefined;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** kafkajs' fetched message as the direct stream's RawKafkaMessage (shared with the driver path). */
export function toRawMessage(m: FetchedRecord): RawKafkaMessage {
  // kafkajs gives every message a headers object, usually empty: decode only real ones.
  let hasHeaders = false;
  if (m.headers !== undefined) for (const k in m.headers) if (Object.hasOwn(m.headers, k)) hasHeaders = true;
  return {
    offset: Number(m.offset),
    key: m.key ?? null,
    value: m.value ?? null,
    timestamp: Number(m.timestamp),
    headers: hasHeaders ? decodeHeaders(m.headers) : NO_HEADERS,
    rawHeaders: hasHeaders ? m.headers : undefined,
  };
}

export class KafkaRangeReader {
  private cluster: KafkajsCluster | undefined;
  private connecting: Promise<KafkajsCluster> | undefined;
  private readonly topics = new Set<string>();

  /** `kafka` may still be loading (kafkajs is loaded on first use): the first read waits for it. */
  constructor(
    private readonly kafka: Kafka | Promise<Kafka>,
    private readonly options: KafkaRangeReaderOptions = {},
  ) {}

  /**
   * The records of `[from, until)` of `topic`-`partition`, in offset order (offsets holding
   * control records or aborted transactions are skipped, as the consumer skips them). Rejects
   * when the range cannot be read within `timeoutMs`, so the task fails and is retried.
   */
  async read(
    topic: string,
    partition: number,
    from: number,
    until: number,
    timeoutMs: number,
    /**
     * Bytes one fetch may return, instead of the reader's maxBytesPerPartition: a probe of one
     * record asks for 1 and gets the one batch that holds it (a broker always returns at least
     * one whole batch), not a megabyte of batches to decode and check.
     */
    maxBytes?: number,
  ): Promise<RangeRead> {
    const messages: RawKafkaMessage[] = [];
    const each = (records: readonly RawKafkaMessage[]) => {
      for (const m of records) messages.push(m);
    };
    const { deleted } = await this.readEach(topic, partition, from, until, timeoutMs, each, maxBytes);
    return deleted ? { messages, deleted } : { messages };
  }

  /**
   * The same records as `read`, handed to `onRecords` one fetch at a time, in offset order, as
   * they arrive: a task computes on a fetch's records while the next fetch is on its way, and
   * holds one fetch in memory, not the whole range. A throw from `onRecords` ends the read.
   */
  async readEach(
    topic: string,
    partition: number,
    from: number,
    until: number,
    timeoutMs: number,
    onRecords: (records: readonly RawKafkaMessage[]) => void,
    maxBytes = this.options.maxBytesPerPartition ?? 1_048_576,
  ): Promise<{ readonly deleted?: OffsetsDeleted }> {
    if (until <= from) return {};
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(deadline - Date.now(), 0);
    const cluster = await within(this.connect(), left(), `connecting to read ${topic}-${partition}`);
    if (!this.topics.has(topic)) {
      await within(cluster.addTargetTopic(topic), left(), `metadata of ${topic}`);
      this.topics.add(topic);
    }
    // A leader that stops answering (frozen: its connection stays open) would hold a fetch for
    // kafkajs' request timeout: the read's own deadline bounds each one.
    const fetchAt = (at: number): Promise<Fetched> => {
      const fetch = within(
        this.fetchOnce(
          cluster,
          topic,
          partition,
          at,
          Math.min(left(), this.options.maxWaitTimeMs ?? 500),
          maxBytes,
        ),
        left(),
        `fetching ${topic}-${partition} at ${at}`,
      );
      // Awaited at the top of the next turn of the loop, unless `onRecords` throws first.
      fetch.catch(() => {});
      return fetch;
    };
    let offset = from;
    let deleted: OffsetsDeleted | undefined;
    let lastError: unknown;
    let next: Promise<Fetched> | undefined;
    while (offset < until) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms reading offsets [${from}, ${until}) of ${topic}-${partition}; read up to ${offset}` +
            (lastError === undefined
              ? ''
              : ` (last error: ${(lastError as Error).message ?? String(lastError)})`),
        );
      }
      let fetched: Fetched;
      try {
        fetched = await (next ?? fetchAt(offset));
      } catch (error) {
        next = undefined;
        const type = (error as { type?: string }).type;
        if (type === 'OFFSET_OUT_OF_RANGE') {
          // Retention deleted the start of the range: go on from the earliest retained offset,
          // as the consumer does, and say so.
          const earliest = await within(
            this.earliest(cluster, topic, partition),
            left(),
            `the earliest offset of ${topic}-${partition}`,
          );
          if (earliest <= offset) throw error;
          deleted ??= { storedOffset: offset, resetTo: earliest };
          offset = earliest;
          continue;
        }
        lastError = error;
        if (type !== undefined && STALE_METADATA.has(type)) await cluster.refreshMetadata().catch(() => {});
        else if ((error as { retriable?: boolean }).retriable !== true && type !== undefined) throw error;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      next = undefined;
      const reached = fetched.nextOffset;
      // The next fetch goes out before this one's records are handed on: the broker reads and
      // sends while the task computes.
      if (reached !== undefined && reached > offset && reached < until) next = fetchAt(reached);
      const records = fetched.records;
      let inRange = records.length;
      while (inRange > 0 && (records[inRange - 1] as RawKafkaMessage).offset >= until) inRange--;
      if (inRange > 0) onRecords(inRange === records.length ? records : records.slice(0, inRange));
      if (reached !== undefined) offset = Math.max(offset, reached);
      else if (fetched.onlyBelow) {
        // Every fetched record is below `offset`: compaction removed it; move on by one, as the
        // kafkajs consumer does.
        offset++;
      } else {
        // Nothing yet although the range was planned under the high watermark: a leader change
        // or a slow broker. Wait a little and fetch again (bounded by the deadline).
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    return deleted ? { deleted } : {};
  }

  private async fetchOnce(
    cluster: KafkajsCluster,
    topic: string,
    partition: number,
    offset: number,
    maxWaitTime: number,
    maxBytes: number,
  ): Promise<Fetched> {
    const leaders = cluster.findLeaderForPartitions(topic, [partition]);
    const nodeId = Object.keys(leaders)[0];
    if (nodeId === undefined) {
      await cluster.refreshMetadata();
      throw Object.assign(new Error(`no leader known for ${topic}-${partition}`), {
        type: 'LEADER_NOT_AVAILABLE',
      });
    }
    const broker = await cluster.findBroker({ nodeId });
    const request = fetchRaw(broker, {
      isolationLevel: READ_COMMITTED,
      maxWaitTime: Math.max(maxWaitTime, 0),
      minBytes: 1,
      maxBytes,
      topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes }] }],
    });
    const observer = this.options.observer;
    const { responses } = await (observer
      ? observer.track('Fetch', broker.brokerAddress ?? `broker ${nodeId}`, request)
      : request);
    const data = responses.find((r) => r.topic === topic)?.partitions.find((p) => p.partition === partition);
    if (!data)
      throw Object.assign(new Error(`no fetch response for ${topic}-${partition}`), {
        type: 'LEADER_NOT_AVAILABLE',
      });
    const decoded = decodeRecordBatches(data.recordSet, {
      topic,
      partition,
      decompress: this.options.decompress ?? decompress,
    });
    // Uncompressed batches decode synchronously: no promise unless a decompression needed one.
    const batches = Array.isArray(decoded) ? decoded : await decoded;
    // The broker may return batches that start below the fetch offset (a batch is sent whole).
    let nextOffset: number | undefined;
    for (const batch of batches) {
      const next = nextOffsetAfter(batch);
      if (next > offset) nextOffset = Math.max(nextOffset ?? next, next);
    }
    const records = committedBatchRecords(batches, data.abortedTransactions);
    let first = 0;
    while (first < records.length && (records[first] as KafkaBatchRecord).offset < offset) first++;
    return {
      records: first === 0 ? records : records.slice(first),
      nextOffset,
      onlyBelow: nextOffset === undefined && batches.length > 0,
    };
  }

  private async earliest(cluster: KafkajsCluster, topic: string, partition: number): Promise<number> {
    const [offsets] = await cluster.fetchTopicsOffset([
      { topic, fromBeginning: true, partitions: [{ partition }] },
    ]);
    return Number(offsets?.partitions.find((p) => p.partition === partition)?.offset ?? 0);
  }

  private connect(): Promise<KafkajsCluster> {
    if (this.cluster) return Promise.resolve(this.cluster);
    this.connecting ??= (async () => {
      const cluster = createKafkajsCluster(await this.kafka, this.options.metadataMaxAgeMs ?? 30_000);
      try {
        await cluster.connect();
      } catch (error) {
        this.connecting = undefined;
        throw error;
      }
      this.cluster = cluster;
      return cluster;
    })();
    return this.connecting;
  }

  async close(): Promise<void> {
    const cluster = this.cluster;
    this.cluster = undefined;
    this.connecting = undefined;
    this.topics.clear();
    await cluster?.disconnect().catch(() => {});
  }
}
