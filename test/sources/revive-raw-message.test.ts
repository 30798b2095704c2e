/**
 * reviveRawMessage: a rejected record sent from an executor worker (a structured clone of its
 * raw message) gets back Buffers equal to what was fetched; headers sent without a value stay
 * null, alone and among a repeated header's values, instead of failing the task that reports it.
 */
import { describe, expect, it } from 'vitest';
import {
  KafkaBatchRecord,
  type RawHeaders,
} from '../../src/sources/kafka/record-batch/kafka-batch-record.js';
import { reviveRawMessage } from '../../src/sources/kafka/revive-raw-message.js';

describe('reviveRawMessage', () => {
  it('gives a cloned record its Buffers back, null header values and all', () => {
    const bytes = Buffer.from('..key..value..');
    const headers: RawHeaders = {
      trace: Buffer.from('tp-1'),
      empty: null,
      repeated: [Buffer.from('a'), null, Buffer.from('b')],
    };
    const record = new KafkaBatchRecord(41, 1_700_000_000_000, bytes, 2, 5, 7, 12, headers);
    // What the driver receives from a worker: own fields only, Uint8Arrays for Buffers.
    const cloned = structuredClone(record.toMessage());
    expect(Buffer.isBuffer(cloned.key)).toBe(false);

    const revived = reviveRawMessage(cloned);
    expect(Buffer.isBuffer(revived.key)).toBe(true);
    expect(revived.key?.toString()).toBe('key');
    expect(revived.value?.toString()).toBe('value');
    expect(revived.offset).toBe(41);
    expect(revived.timestamp).toBe(1_700_000_000_000);
    expect(revived.headers).toEqual(record.headers);
    const h = revived.rawHeaders as Record<string, unknown>;
    expect(Buffer.isBuffer(h.trace)).toBe(true);
    expect(String(h.trace)).toBe('tp-1');
    expect(h.empty).toBeNull();
    expect((h.repeated as (Buffer | null)[]).map((v) => (v === null ? null : v.toString()))).toEqual([
      'a',
      null,
      'b',
    ]);
  });

  it('keeps null keys and values, and a record without headers has none', () => {
    const record = new KafkaBatchRecord(7, 5, Buffer.alloc(0), -1, -1, -1, -1, undefined);
    const revived = reviveRawMessage(structuredClone(record.toMessage()));
    expect(revived.key).toBeNull();
    expect(revived.value).toBeNull();
    expect(revived.rawHeaders).toBeUndefined();
    expect(revived.headers).toEqual({});
  });
});
