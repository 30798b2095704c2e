/**
 * What a direct or receiver Kafka stream yields per record. `uid` is `topic-partition-offset`:
 * the same record always has the same uid, so a sink can tell whether it has already written it
 * (exactly-once by deduplication, docs/sinks.md).
 */

export interface KafkaRecord<V = string | null> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: V;
  /** The record's Kafka timestamp, epoch ms. */
  readonly timestamp: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly uid: string;
}

/** The raw record as fetched, before the user's decoder runs. */
export interface RawKafkaMessage {
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The headers exactly as fetched (binary values intact): what dead-lettering sends on. */
  readonly rawHeaders?:
    | Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>
    | undefined;
}

export function recordUid(topic: string, partition: number, offset: number): string {
  return uidPrefix(topic, partition) + offset;
}

/** What every uid of one partition starts with: `recordUid` is this plus the offset. */
export function uidPrefix(topic: string, partition: number): string {
  return `${topic}-${partition}-`;
}

/** Kafka headers as text (arrays joined with commas), for KafkaRecord.headers. */
export function decodeHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String).join(',') : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}
