/**
 * reviveRawMessage: a record an executor worker's decoder rejected comes to the driver as a
 * structured clone, which turns its Buffers into Uint8Arrays: this gives it Buffers again (views
 * on the same bytes, no copy) so that dead-lettering sends it as it was fetched. A header sent
 * without a value stays null, alone or among a repeated header's values.
 */
import type { RawKafkaMessage } from './kafka-record.js';

type HeaderValue = Buffer | string | null;

function buffer(b: Uint8Array | string): Buffer | string {
  return typeof b === 'string' ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function header(v: Uint8Array | string | null): HeaderValue {
  return v === null ? null : buffer(v);
}

export function reviveRawMessage(raw: RawKafkaMessage): RawKafkaMessage {
  // The type leaves out the null a header without a value has (kafka-batch-record.ts says why).
  const cloned = raw.rawHeaders as Record<string, HeaderValue | HeaderValue[] | undefined> | undefined;
  const rawHeaders =
    cloned &&
    Object.fromEntries(
      Object.entries(cloned).map(([k, v]) => [
        k,
        v === undefined ? undefined : Array.isArray(v) ? v.map(header) : header(v),
      ]),
    );
  return {
    ...raw,
    key: raw.key === null ? null : (buffer(raw.key) as Buffer),
    value: raw.value === null ? null : (buffer(raw.value) as Buffer),
    ...(rawHeaders ? { rawHeaders: rawHeaders as RawKafkaMessage['rawHeaders'] } : {}),
  };
}
