/**
 * PartitionOffsets against a scripted kafkajs cluster (the client's private createCluster
 * factory, as kafkajs-cluster.ts reaches it): a leader answering "not the leader" (what a
 * broker fenced by its controller says) is retried after a metadata refresh within the plan,
 * never thrown; a leader that does not answer leaves only its own partitions without offsets,
 * named, within the budget, and is not sent another request while the first still waits; a
 * topic the brokers do not know is reported as missing.
 */
import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { BrokerWatch, brokerTiming } from '../../src/sources/kafka/broker-watch.js';
import { PartitionOffsets } from '../../src/sources/kafka/partition-offsets.js';

const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode(code: number): Error;
};
const NOT_LEADER_OR_FOLLOWER = 6;
const UNKNOWN_TOPIC_OR_PARTITION = 3;

type ListOffsets = (topic: string, partitions: number[]) => Promise<Map<number, number>>;

/** A cluster whose leaders and answers the test scripts; node ids 1 and 2 are 127.0.0.1:9092/9094. */
function scriptedKafka(script: {
  leaders: () => Record<string, number[]>;
  answer: Record<string, ListOffsets>;
}) {
  const calls = { refresh: 0, listOffsets: [] as string[] };
  const cluster = {
    brokerPool: {
      metadata: {
        brokers: [
          { nodeId: 1, host: '127.0.0.1', port: 9092 },
          { nodeId: 2, host: '127.0.0.1', port: 9094 },
        ],
      },
    },
    connect: async () => {},
    disconnect: async () => {},
    addTargetTopic: async () => {},
    refreshMetadata: async () => {
      calls.refresh++;
    },
    refreshMetadataIfNecessary: async () => {},
    findLeaderForPartitions: (_topic: string, wanted: number[]) =>
      Object.fromEntries(
        Object.entries(script.leaders())
          .map(([node, ps]) => [node, ps.filter((p) => wanted.includes(p))] as const)
          .filter(([, ps]) => ps.length > 0),
      ),
    findBroker: async ({ nodeId }: { nodeId: string }) => ({
      listOffsets: async ({
        topics,
      }: {
        topics: { topic: string; partitions: { partition: number }[] }[];
      }) => {
        const [t] = topics;
        if (!t) throw new Error('no topic');
        calls.listOffsets.push(nodeId);
        const answer = script.answer[nodeId];
        if (!answer) throw new Error(`no script for node ${nodeId}`);
        const found = await answer(
          t.topic,
          t.partitions.map((p) => p.partition),
        );
        return {
          responses: [
            {
              topic: t.topic,
              partitions: [...found].map(([partition, offset]) => ({ partition, offset: String(offset) })),
            },
          ],
        };
      },
    }),
  };
  const kafka = { [Symbol('private:Kafka:createCluster')]: () => cluster } as unknown as Kafka;
  return { kafka, calls };
}

function watchOn(now: () => number = Date.now) {
  const watch = new BrokerWatch(brokerTiming(100), () => {}, ['127.0.0.1:9092'], now);
  watch.membershipUp();
  return watch;
}

const parts = [0, 1, 2].map((partition) => ({ topic: 't', partition }));
const answers =
  (offsets: Record<number, number>): ListOffsets =>
  async (_t, ps) =>
    new Map(ps.map((p) => [p, offsets[p] ?? -1]));

describe('PartitionOffsets', () => {
  it('"not the leader": refreshes the metadata and asks the new leader, within the same plan', async () => {
    let moved = false;
    const { kafka, calls } = scriptedKafka({
      leaders: () => (moved ? { '2': [0, 1, 2] } : { '1': [0, 1], '2': [2] }),
      answer: {
        '1': async () => {
          moved = true;
          throw createErrorFromCode(NOT_LEADER_OR_FOLLOWER);
        },
        '2': answers({ 0: 10, 1: 11, 2: 12 }),
      },
    });
    const offsets = new PartitionOffsets(kafka, watchOn(), ['127.0.0.1:9092'], 30_000);
    const answer = await offsets.offsets(parts, 'end', 3000);
    expect(Object.fromEntries(answer.offsets)).toEqual({ 't-0': 10, 't-1': 11, 't-2': 12 });
    expect(answer.missed.size).toBe(0);
    expect(calls.refresh).toBeGreaterThanOrEqual(1);
    expect(calls.listOffsets).toEqual(['1', '2', '2']);
    expect([...answer.leaders].sort()).toEqual(['127.0.0.1:9092', '127.0.0.1:9094']);
  });

  it('a leader that does not answer: only its partitions are missed, named, within the budget; no second request piles up', async () => {
    let now = 0;
    const watch = watchOn(() => now);
    const { kafka, calls } = scriptedKafka({
      leaders: () => ({ '1': [0, 1], '2': [2] }),
      answer: { '1': answers({ 0: 5, 1: 6 }), '2': () => new Promise(() => {}) },
    });
    const offsets = new PartitionOffsets(kafka, watch, ['127.0.0.1:9092'], 30_000);
    const started = Date.now();
    const first = await offsets.offsets(parts, 'end', 300);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(Object.fromEntries(first.offsets)).toEqual({ 't-0': 5, 't-1': 6 });
    expect(first.missed.get('t-2')).toMatch(
      /^127\.0\.0\.1:9094: BrokerTimeout: ListOffsets to 127\.0\.0\.1:9094: no answer within/,
    );
    now += 1000;
    watch.check();
    expect(watch.verdict().reason).toBe('no answer from 127.0.0.1:9094 to ListOffsets for 1.0 s');
    const second = await offsets.offsets(parts, 'end', 300);
    expect(second.missed.get('t-2')).toMatch(/still waiting for an answer from 127\.0\.0\.1:9094/);
    expect(calls.listOffsets.filter((n) => n === '2')).toHaveLength(1);
  });

  it('a topic the brokers do not know is reported missing', async () => {
    const { kafka } = scriptedKafka({
      leaders: () => ({ '1': [0, 1, 2] }),
      answer: {
        '1': async () => {
          throw createErrorFromCode(UNKNOWN_TOPIC_OR_PARTITION);
        },
      },
    });
    const offsets = new PartitionOffsets(kafka, watchOn(), ['127.0.0.1:9092'], 30_000);
    const answer = await offsets.offsets(parts, 'end', 500);
    expect([...answer.missingTopics]).toEqual(['t']);
    expect(answer.missed.size).toBe(3);
    expect(answer.offsets.size).toBe(0);
  });
});
