/**
 * KafkaRangeReader against the real broker: exactly `[from, until)` across many small fetches,
 * headers intact, also handed on one fetch at a time (readEach); aborted transactions and control
 * records skipped (read_committed); and a range whose start retention deleted read from the
 * earliest retained offset with the gap reported; fetches sent at once on a new reader open one
 * connection, and closing the reader leaves no socket open.
 * It reaches into kafkajs internals (see the module), so this is also the upgrade tripwire.
 */
import { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaRangeReader } from '../../src/sources/kafka/kafka-range-reader.js';
import { createTopic, KAFKA_BROKERS, newKafka, requireKafka, uniqueTopic } from '../support/services.js';

const hasKafka = await requireKafka();
const readers: KafkaRangeReader[] = [];
afterAll(async () => {
  for (const r of readers) await r.close();
});

function reader(maxBytesPerPartition?: number): KafkaRangeReader {
  const r = new KafkaRangeReader(newKafka('range-reader-test'), {
    maxWaitTimeMs: 100,
    ...(maxBytesPerPartition === undefined ? {} : { maxBytesPerPartition }),
  });
  readers.push(r);
  return r;
}

describe.runIf(hasKafka)('KafkaRangeReader', () => {
  it('reads exactly [from, until) of one partition over many fetches, headers intact', {
    timeout: 60_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('range-reader'), 2);
    const producer = newKafka('range-reader-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let b = 0; b < 4; b++) {
      await producer.send({
        topic,
        messages: Array.from({ length: 500 }, (_, j) => {
          const i = b * 500 + j;
          return {
            partition: 0,
            key: `k${i}`,
            value: `v${i}`,
            timestamp: String(1_700_000_000_000 + i),
            ...(i % 100 === 0 ? { headers: { traceparent: `tp-${i}` } } : {}),
          };
        }),
      });
    }
    await producer.send({ topic, messages: [{ partition: 1, value: 'other' }] });
    await producer.disconnect();

    // 2 KiB per fetch: the range takes dozens of fetches and crosses record batches.
    const { messages, deleted } = await reader(2048).read(topic, 0, 123, 1789, 30_000);
    expect(deleted).toBeUndefined();
    expect(messages.map((m) => m.offset)).toEqual(Array.from({ length: 1789 - 123 }, (_, i) => 123 + i));
    expect(messages.map((m) => m.value?.toString())).toEqual(
      Array.from({ length: 1789 - 123 }, (_, i) => `v${123 + i}`),
    );
    expect(messages[0]!.key?.toString()).toBe('k123');
    expect(messages[0]!.timestamp).toBe(1_700_000_000_123);
    const withHeaders = messages.filter((m) => m.headers.traceparent !== undefined);
    expect(withHeaders.map((m) => m.headers.traceparent)).toEqual(
      Array.from({ length: 16 }, (_, i) => `tp-${(i + 2) * 100}`),
    );
    expect(messages.find((m) => m.offset === 200)!.rawHeaders?.traceparent?.toString()).toBe('tp-200');
    // The same range handed on one fetch at a time: a fetch returns at least one whole batch
    // (500 records here), so the range's four batches come as four parts, each contiguous,
    // together the same records in the same order.
    const parts: number[][] = [];
    const each = await reader(2048).readEach(topic, 0, 123, 1789, 30_000, (records) => {
      parts.push(records.map((m) => m.offset));
    });
    expect(each).toEqual({});
    expect(parts.length).toBe(4);
    for (const part of parts) expect(part.at(-1)! - part[0]!).toBe(part.length - 1);
    expect(parts.flat()).toEqual(messages.map((m) => m.offset));
    // One fetch takes all four batches by default; a fetch of at most 1 byte (the consumer-lag
    // probe's) takes one batch, the one holding the offset asked for.
    const partsOf = async (maxBytes?: number) => {
      let n = 0;
      await reader().readEach(topic, 0, 0, 2000, 30_000, () => n++, maxBytes);
      return n;
    };
    expect(await partsOf()).toBe(1);
    expect(await partsOf(1)).toBe(4);
    const probe = await reader().read(topic, 0, 1234, 1235, 30_000, 1);
    expect(probe.messages.map((m) => [m.offset, m.value?.toString()])).toEqual([[1234, 'v1234']]);
    // A throw from the consumer of a part ends the read with that error.
    const stop = new Error('task failed on its records');
    let calls = 0;
    await expect(
      reader(2048).readEach(topic, 0, 0, 2000, 30_000, () => {
        calls++;
        throw stop;
      }),
    ).rejects.toBe(stop);
    expect(calls).toBe(1);
    expect(await reader().read(topic, 0, 5, 5, 1000)).toEqual({ messages: [] });
    const other = await reader().read(topic, 1, 0, 1, 10_000);
    expect(other.messages.map((m) => m.value?.toString())).toEqual(['other']);
  });

  it('skips aborted transactions and control records, as read_committed does', {
    timeout: 60_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('range-reader-tx'), 1);
    const producer = newKafka('range-reader-tx').producer({
      transactionalId: `range-reader-${topic}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const send = async (from: number, commit: boolean) => {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${from + i}` })) });
      await (commit ? tx.commit() : tx.abort());
    };
    await send(0, true);
    await send(10, false);
    await send(20, true);
    await producer.disconnect();
    const admin = newKafka('range-reader-admin').admin();
    await admin.connect();
    const high = (await admin.fetchTopicOffsets(topic))[0]!.high;
    await admin.disconnect();
    // 30 records and 3 transaction markers.
    expect(Number(high)).toBe(33);

    const { messages } = await reader().read(topic, 0, 0, Number(high), 30_000);
    expect(messages.map((m) => m.value?.toString())).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `m${i}`),
      ...Array.from({ length: 10 }, (_, i) => `m${20 + i}`),
    ]);
  });

  it("drops interleaved aborted transactions (where kafkajs' own filter lets the second through)", {
    timeout: 60_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('range-reader-interleaved'), 1);
    const producer = (id: string) =>
      newKafka(`interleaved-${id}`).producer({
        transactionalId: `interleaved-${id}-${topic}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
    const [a, b, c] = [producer('a'), producer('b'), producer('c')];
    for (const p of [a, b, c]) await p.connect();
    const ta = await a.transaction();
    const tb = await b.transaction();
    const tc = await c.transaction();
    // Three open transactions write in turns, so their records interleave in the partition.
    for (let i = 0; i < 3; i++) {
      await ta.send({ topic, messages: [{ value: `a${i}` }] });
      await tb.send({ topic, messages: [{ value: `b${i}` }] });
      await tc.send({ topic, messages: [{ value: `c${i}` }] });
    }
    await ta.abort();
    await tc.commit();
    await tb.abort();
    for (const p of [a, b, c]) await p.disconnect();
    const admin = newKafka('range-reader-admin').admin();
    await admin.connect();
    // The transaction markers are written after commit()/abort() return: wait for all three.
    let high = 0;
    for (let waited = 0; high < 12 && waited < 10_000; waited += 100) {
      high = Number((await admin.fetchTopicOffsets(topic))[0]!.high);
      if (high < 12) await new Promise((r) => setTimeout(r, 100));
    }
    await admin.disconnect();
    expect(high).toBe(12);

    const { messages } = await reader(64).read(topic, 0, 0, high, 30_000);
    expect(messages.map((m) => m.value?.toString())).toEqual(['c0', 'c1', 'c2']);
    // From the middle of the aborted transactions too (the broker lists them by first offset).
    const tail = await reader().read(topic, 0, 4, high, 30_000);
    expect(tail.messages.map((m) => m.value?.toString())).toEqual(['c1', 'c2']);
  });

  it('reads on from the earliest retained offset when retention deleted the start, and says so', {
    timeout: 60_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('range-reader-deleted'), 1);
    const producer = newKafka('range-reader-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 100 }, (_, i) => ({ value: `d${i}` })) });
    await producer.disconnect();
    const admin = newKafka('range-reader-admin').admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '40' }] });
    await admin.disconnect();

    const { messages, deleted } = await reader().read(topic, 0, 10, 60, 30_000);
    expect(deleted).toEqual({ storedOffset: 10, resetTo: 40 });
    expect(messages.map((m) => m.offset)).toEqual(Array.from({ length: 20 }, (_, i) => 40 + i));
  });

  it('fails a range that cannot be read in time, naming it', { timeout: 30_000 }, async () => {
    const topic = await createTopic(uniqueTopic('range-reader-timeout'), 1);
    await expect(reader().read(topic, 0, 0, 5, 1500)).rejects.toThrow(
      new RegExp(`timed out after 1500 ms reading offsets \\[0, 5\\) of ${topic}-0; read up to 0`),
    );
  });

  it('opens one Fetch connection for reads sent at once, and leaves no socket open once closed', {
    timeout: 60_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('range-reader-sockets'), 6);
    const producer = newKafka('range-reader-producer').producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 600 }, (_, i) => ({ partition: i % 6, value: `v${i}` })),
    });
    await producer.disconnect();
    // This thread's sockets to the broker, as Node holds them open.
    const brokerPorts = new Set(KAFKA_BROKERS.map((b) => Number(b.split(':')[1])));
    const openSockets = () =>
      (process as unknown as { _getActiveHandles(): unknown[] })
        ._getActiveHandles()
        .filter(
          (h): h is Socket => h instanceof Socket && brokerPorts.has(h.remotePort ?? -1) && !h.destroyed,
        );
    const before = new Set(openSockets());
    const r = new KafkaRangeReader(newKafka('range-reader-sockets'), { maxWaitTimeMs: 100 });
    // Six reads at once, as a batch's tasks read the partitions of one leader.
    const reads = await Promise.all(Array.from({ length: 6 }, (_, p) => r.read(topic, p, 0, 100, 30_000)));
    expect(reads.map((x) => x.messages.length)).toEqual([100, 100, 100, 100, 100, 100]);
    const opened = openSockets().filter((s) => !before.has(s));
    // The metadata connection and one Fetch connection: not one socket per read.
    expect(opened.length).toBeLessThanOrEqual(2);
    await r.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(openSockets().filter((s) => !before.has(s))).toEqual([]);
  });
});
