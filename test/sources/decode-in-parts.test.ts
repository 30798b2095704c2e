/**
 * decodeInParts: a range decoded one fetch at a time keeps exactly what decodeRange keeps for
 * the whole range at once: the records in order, the event times in order, at most
 * MAX_TRACE_LINKS trace links (the first ones), and every rejected record.
 */
import { describe, expect, it } from 'vitest';
import { MAX_TRACE_LINKS } from '../../src/dstream/input-source.js';
import { decodeInParts, decodeRange } from '../../src/sources/kafka/decode-range.js';
import { type KafkaRecord, type RawKafkaMessage, recordUid } from '../../src/sources/kafka/kafka-record.js';

function raws(n: number): RawKafkaMessage[] {
  return Array.from({ length: n }, (_, i) => ({
    offset: 100 + i,
    key: i % 3 === 0 ? null : Buffer.from(`k${i}`),
    value: Buffer.from(i % 7 === 0 ? `bad ${i}` : JSON.stringify({ n: i })),
    timestamp: 1_700_000_000_000 + i * 10,
    headers: i % 2 === 0 ? { traceparent: `tp-${i}` } : {},
  }));
}

const decode = (value: Buffer | null) => JSON.parse(value?.toString('utf8') ?? 'null') as { n: number };

describe('decodeInParts', () => {
  it('joins the parts of a range into what decodeRange keeps for it whole', () => {
    const all = raws(200);
    const whole: KafkaRecord<{ n: number }>[] = [];
    const expected = decodeRange(
      all,
      't',
      3,
      { decode, eventTime: undefined, handled: new Set([107]) },
      (r) => whole.push(r),
    );
    const parted: KafkaRecord<{ n: number }>[] = [];
    const decoding = decodeInParts('t', 3, { decode, eventTime: undefined, handled: new Set([107]) }, (r) =>
      parted.push(r),
    );
    for (const [from, to] of [
      [0, 1],
      [1, 60],
      [60, 60],
      [60, 199],
      [199, 200],
    ] as const) {
      decoding.part(all.slice(from, to));
    }
    const joined = decoding.done();

    expect(parted.map((r) => [r.offset, r.key, r.value.n, r.uid])).toEqual(
      whole.map((r) => [r.offset, r.key, r.value.n, r.uid]),
    );
    expect([...joined.eventTimes]).toEqual([...expected.eventTimes]);
    expect(joined.eventTimes.length).toBe(200 - 29);
    expect(joined.links).toEqual(expected.links);
    expect(joined.links).toHaveLength(MAX_TRACE_LINKS);
    expect(joined.rejected.map((r) => r.raw.offset)).toEqual(expected.rejected.map((r) => r.raw.offset));
    // 29 values are not JSON; offset 107 was handed over by an earlier attempt.
    expect(joined.rejected).toHaveLength(28);
  });

  it("gives a worker's records their uid as an own field, a clone keeps it, partition after partition", () => {
    const uids: string[] = [];
    const options = { decode, eventTime: undefined, handled: new Set<number>(), cloneable: true };
    for (const [topic, partition] of [
      ['a', 0],
      ['a', 1],
      ['b', 1],
      ['a', 0],
    ] as const) {
      decodeRange(raws(2).slice(1), topic, partition, options, (r) => uids.push(structuredClone(r).uid));
    }
    expect(uids).toEqual(['a-0-101', 'a-1-101', 'b-1-101', 'a-0-101']);
    expect(uids[0]).toBe(recordUid('a', 0, 101));
  });

  it('keeps a range read in one part as it is', () => {
    const all = raws(10);
    const decoding = decodeInParts(
      't',
      0,
      { decode, eventTime: (r) => r.value.n, handled: new Set() },
      () => {},
    );
    decoding.part(all);
    const joined = decoding.done();
    expect([...joined.eventTimes]).toEqual([1, 2, 3, 4, 5, 6, 8, 9]);
    expect(
      decodeInParts('t', 0, { decode, eventTime: undefined, handled: new Set() }, () => {}).done().eventTimes,
    ).toHaveLength(0);
  });
});
