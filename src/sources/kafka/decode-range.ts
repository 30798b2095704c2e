/**
 * decodeRange: turns the raw records of one offset range into the direct stream's KafkaRecords,
 * the same way on the driver (records from the group consumer's buffer) and in an executor
 * worker (records the worker fetched itself): the user's decoder, event times, a bounded sample
 * of `traceparent` headers, and the records the decoder rejected, kept for the driver to
 * dead-letter and report.
 */
import { MAX_TRACE_LINKS } from '../../dstream/input-source.js';
import type { Sink } from '../../dstream/rdd.js';
import { type KafkaRecord, type RawKafkaMessage, recordUid, uidPrefix } from './kafka-record.js';
import { KafkaBatchRecord } from './record-batch/kafka-batch-record.js';

export type Decode<V> = (value: Buffer | null, raw: RawKafkaMessage) => V;

export interface Rejected {
  readonly raw: RawKafkaMessage;
  readonly error: unknown;
}

export interface DecodedRange {
  /** Event time of every record kept, in offset order. */
  readonly eventTimes: Float64Array;
  /** At most MAX_TRACE_LINKS `traceparent` headers. */
  readonly links: string[];
  readonly rejected: Rejected[];
}

/** The name a rejected record's error is reported and dead-lettered under, e.g. `SyntaxError`. */
export function errorType(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

export const defaultDecode = (value: Buffer | null): string | null =>
  value === null ? null : value.toString('utf8');

export function decodeRange<V>(
  raws: readonly RawKafkaMessage[],
  topic: string,
  partition: number,
  options: {
    decode: Decode<V>;
    eventTime: ((record: KafkaRecord<V>) => number) | undefined;
    /** Offsets an earlier attempt already rejected and handed over: not rejected twice. */
    handled: ReadonlySet<number>;
    /** Worker side: records whose uid survives a structured clone back to the driver. */
    cloneable?: boolean;
  },
  sink: Sink<KafkaRecord<V>>,
): DecodedRange {
  const { decode, eventTime, handled } = options;
  const Record = options.cloneable ? CloneableKafkaRecord : DirectKafkaRecord;
  const rejected: Rejected[] = [];
  const times = new Float64Array(raws.length);
  const links: string[] = [];
  let kept = 0;
  // The default decoder on our own decoder's records: the text straight from the fetched bytes,
  // without a Buffer view of the value first (the same text).
  const asText = decode === (defaultDecode as unknown as Decode<V>);
  for (const raw of raws) {
    const batchRecord = raw instanceof KafkaBatchRecord;
    let value: V;
    try {
      value = asText && batchRecord ? (raw.valueText() as V) : decode(raw.value, raw);
    } catch (error) {
      if (!handled.has(raw.offset)) rejected.push({ raw, error });
      continue;
    }
    const record = new Record<V>(
      topic,
      partition,
      raw.offset,
      batchRecord ? raw.keyText() : raw.key === null ? null : raw.key.toString('utf8'),
      value,
      raw.timestamp,
      raw.headers,
    );
    times[kept++] = eventTime ? eventTime(record) : raw.timestamp;
    const tp = raw.headers.traceparent;
    if (tp !== undefined && links.length < MAX_TRACE_LINKS) links.push(tp);
    sink(record);
  }
  return { eventTimes: times.subarray(0, kept), links, rejected };
}

/**
 * decodeRange over a range that arrives one fetch at a time (KafkaRangeReader.readEach): each
 * part is decoded into `sink` as it comes, and `done` joins what the parts kept.
 */
export function decodeInParts<V>(
  topic: string,
  partition: number,
  options: Parameters<typeof decodeRange<V>>[3],
  sink: Sink<KafkaRecord<V>>,
): { part(raws: readonly RawKafkaMessage[]): void; done(): DecodedRange } {
  const times: Float64Array[] = [];
  const links: string[] = [];
  const rejected: Rejected[] = [];
  return {
    part(raws) {
      const decoded = decodeRange(raws, topic, partition, options, sink);
      times.push(decoded.eventTimes);
      for (const link of decoded.links) if (links.length < MAX_TRACE_LINKS) links.push(link);
      for (const r of decoded.rejected) rejected.push(r);
    },
    done() {
      return { eventTimes: joinEventTimes(times), links, rejected };
    },
  };
}

/** Event times of several parts (fetches, partitions) as one array, in order; a single part as it is. */
export function joinEventTimes(parts: readonly Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0] as Float64Array;
  const all = new Float64Array(parts.reduce((n, t) => n + t.length, 0));
  let at = 0;
  for (const t of parts) {
    all.set(t, at);
    at += t.length;
  }
  return all;
}

/**
 * The record a direct stream yields. A class, so that every record has one shape and its `uid`
 * string is only built when something reads it (most jobs never do).
 */
export class DirectKafkaRecord<V> implements KafkaRecord<V> {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly key: string | null,
    readonly value: V,
    readonly timestamp: number,
    readonly headers: Readonly<Record<string, string>>,
  ) {}

  get uid(): string {
    return recordUid(this.topic, this.partition, this.offset);
  }

  toJSON(): KafkaRecord<V> {
    const { topic, partition, offset, key, value, timestamp, headers, uid } = this;
    return { topic, partition, offset, key, value, timestamp, headers, uid };
  }
}

/**
 * In an executor worker: the uid is an own property, because a structured clone (a record
 * collected back to the driver) keeps own fields only, not the class's getter.
 */
class CloneableKafkaRecord<V> implements KafkaRecord<V> {
  readonly uid: string;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly key: string | null,
    readonly value: V,
    readonly timestamp: number,
    readonly headers: Readonly<Record<string, string>>,
  ) {
    // A worker's records come a partition at a time: the uid's `topic-partition-` part is
    // built once per partition, not per record.
    if (topic !== CloneableKafkaRecord.prefixTopic || partition !== CloneableKafkaRecord.prefixPartition) {
      CloneableKafkaRecord.prefixTopic = topic;
      CloneableKafkaRecord.prefixPartition = partition;
      CloneableKafkaRecord.prefix = uidPrefix(topic, partition);
    }
    this.uid = CloneableKafkaRecord.prefix + offset;
  }

  private static prefixTopic = '';
  private static prefixPartition = -1;
  private static prefix = '';
}
