// First, as every sidestream entry point does: installs the read_committed filter into kafkajs.

import { describe, expect, it } from 'vitest';
import { StreamingContext } from '../../src/index.js';
import { committedRecords, type FetchedRecord } from '../../src/sources/kafka/committed-records.js';
import { kafkajsFiltersCorrectly } from '../../src/sources/kafka/kafkajs-read-committed.js';

const data = (offset: number, producerId: string, inTransaction = true): FetchedRecord => ({
  offset: String(offset),
  key: null,
  value: Buffer.from(`${producerId}:${offset}`),
  timestamp: '0',
  batchContext: { producerId, inTransaction },
});
const marker = (offset: number, producerId: string, type: 0 | 1): FetchedRecord => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, type]),
  value: null,
  timestamp: '0',
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});
const values = (records: FetchedRecord[]) => records.map((r) => r.value?.toString());

describe('committedRecords (read_committed)', () => {
  it('drops every aborted transaction that is due, interleaved or not, and keeps the committed ones', () => {
    // a (aborted), b (aborted) and c (committed) interleave; then a non-transactional record.
    const records = [
      data(0, 'a'),
      data(1, 'b'),
      data(2, 'c'),
      data(3, 'a'),
      data(4, 'b'),
      data(5, 'c'),
      marker(6, 'a', 0),
      marker(7, 'c', 1),
      marker(8, 'b', 0),
      data(9, 'd', false),
    ];
    const aborted = [
      { producerId: 'b', firstOffset: '1' },
      { producerId: 'a', firstOffset: '0' },
    ];
    expect(values(committedRecords(records, aborted))).toEqual(['c:2', 'c:5', 'd:9']);
    // Fetched from the middle: both aborted transactions started before the first record.
    expect(values(committedRecords(records.slice(3), aborted))).toEqual(['c:5', 'd:9']);
  });

  it("ends an aborted transaction at its ABORT marker: the producer's next one counts again", () => {
    const records = [data(0, 'a'), marker(1, 'a', 0), data(2, 'a'), marker(3, 'a', 1)];
    expect(values(committedRecords(records, [{ producerId: 'a', firstOffset: '0' }]))).toEqual(['a:2']);
    expect(values(committedRecords(records, undefined))).toEqual(['a:0', 'a:2']);
  });

  it("is installed into kafkajs' consumer by sidestream's entry points", () => {
    expect(StreamingContext).toBeDefined();
    expect(kafkajsFiltersCorrectly()).toBe(true);
  });
});
