import { type Message, Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { sendByPartition } from '../../src/sources/kafka/kafkajs-send-by-partition.js';

const metadata = (n: number) =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: partitionId % 3,
    replicas: [0, 1, 2],
    isr: [0, 1, 2],
  }));

describe('sendByPartition', () => {
  it('sends each partition on its own, keyed records where kafkajs would put them', async () => {
    const sends: { topic: string; messages: Message[] }[] = [];
    const messages: Message[] = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: String(i) }));
    await sendByPartition(async (r) => sends.push(r), 'out', messages, metadata(6));
    // Every send holds one partition only, and no partition is sent twice.
    const partitionsPerSend = sends.map((s) => new Set(s.messages.map((m) => m.partition)));
    expect(partitionsPerSend.every((p) => p.size === 1)).toBe(true);
    const partitions = partitionsPerSend.map((p) => [...p][0]);
    expect(new Set(partitions).size).toBe(partitions.length);
    // The same placement as kafkajs' default partitioner, and nothing lost or reordered per key.
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const s of sends)
      for (const m of s.messages)
        expect(m.partition).toBe(
          kafkajs({
            topic: 'out',
            partitionMetadata: metadata(6),
            message: { key: m.key ?? null, value: m.value },
          }),
        );
    expect(sends.flatMap((s) => s.messages.map((m) => Number(m.value))).sort((a, b) => a - b)).toEqual(
      messages.map((m) => Number(m.value)),
    );
  });

  it('keeps a partition the caller set, and stops at the first failed send', async () => {
    const sent: number[] = [];
    const send = async (r: { messages: Message[] }) => {
      const p = r.messages[0]!.partition!;
      if (p === 2) throw new Error('leader gone');
      sent.push(p);
    };
    const messages: Message[] = [0, 1, 2, 3].map((partition) => ({ partition, value: 'x' }));
    await expect(sendByPartition(send, 'out', messages, metadata(4))).rejects.toThrow('leader gone');
    expect(sent).toEqual([0, 1]);
  });

  it('refuses to guess without partition metadata', async () => {
    await expect(sendByPartition(async () => {}, 'out', [{ value: 'x' }], [])).rejects.toThrow(
      'no partition metadata for topic out',
    );
  });
});
