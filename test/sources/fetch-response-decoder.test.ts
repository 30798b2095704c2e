/**
 * decodeFetchResponse against hand-built Fetch responses of every version it reads (4 to 11):
 * the fields each version adds (log start offset in 5, error code and session in 7, preferred
 * read replica in 11), null and listed aborted transactions, and record sets kept as views on
 * the response (no copy).
 */
import { describe, expect, it } from 'vitest';
import { decodeFetchResponse } from '../../src/sources/kafka/record-batch/decode-fetch-response.js';
import { int16, int32, int64, string } from '../support/kafka-wire-ints.js';

function response(version: number, records: Buffer): Buffer {
  const partition = (id: number, error: number, aborted: [number, number][] | null, set: Buffer | null) =>
    Buffer.concat([
      int32(id),
      int16(error),
      int64(1000 + id),
      int64(900 + id),
      ...(version >= 5 ? [int64(10 + id)] : []),
      aborted === null
        ? int32(-1)
        : Buffer.concat([int32(aborted.length), ...aborted.flatMap(([p, o]) => [int64(p), int64(o)])]),
      ...(version >= 11 ? [int32(3)] : []),
      set === null ? int32(-1) : Buffer.concat([int32(set.length), set]),
    ]);
  return Buffer.concat([
    int32(7),
    ...(version >= 7 ? [int16(0), int32(42)] : []),
    int32(2),
    string('orders'),
    int32(2),
    partition(
      0,
      0,
      [
        [5, 100],
        [2 ** 40, 2 ** 45],
      ],
      records,
    ),
    partition(1, 1, null, null),
    string('другой'),
    int32(1),
    partition(4, 0, [], Buffer.alloc(0)),
  ]);
}

describe('decodeFetchResponse', () => {
  for (const version of [4, 5, 6, 7, 8, 9, 10, 11]) {
    it(`reads version ${version}`, () => {
      const records = Buffer.from('pretend record batches');
      const payload = response(version, records);
      const decoded = decodeFetchResponse(payload, version);
      expect(decoded.throttleTimeMs).toBe(7);
      expect(decoded.sessionId).toBe(version >= 7 ? 42 : 0);
      expect(decoded.responses.map((r) => r.topic)).toEqual(['orders', 'другой']);
      const [p0, p1] = decoded.responses[0]?.partitions ?? [];
      expect({ ...p0, recordSet: p0?.recordSet.toString() }).toEqual({
        partition: 0,
        errorCode: 0,
        highWatermark: 1000,
        lastStableOffset: 900,
        logStartOffset: version >= 5 ? 10 : -1,
        abortedTransactions: [
          { producerId: 5, firstOffset: 100 },
          { producerId: 2 ** 40, firstOffset: 2 ** 45 },
        ],
        preferredReadReplica: version >= 11 ? 3 : -1,
        recordSet: 'pretend record batches',
      });
      // A view on the response, not a copy: a change to the response shows through.
      payload[payload.indexOf('pretend')] = 'P'.charCodeAt(0);
      expect(p0?.recordSet.toString()).toBe('Pretend record batches');
      expect(p1?.errorCode).toBe(1);
      expect(p1?.abortedTransactions).toEqual([]);
      expect(p1?.recordSet.length).toBe(0);
      expect(decoded.responses[1]?.partitions.map((p) => [p.partition, p.recordSet.length])).toEqual([
        [4, 0],
      ]);
    });
  }

  it('refuses a truncated response and a version it does not read', () => {
    const payload = response(11, Buffer.from('records'));
    expect(() => decodeFetchResponse(payload.subarray(0, payload.length - 3), 11)).toThrow(
      /Fetch response truncated/,
    );
    expect(() => decodeFetchResponse(payload, 3)).toThrow(/version 3 is not read/);
  });
});
