/**
 * The Kafka sink's remembered offsets (`known` in kafka-transactional-sink.ts) against an
 * interleaving a fleet soak produced, replayed in order on a Kafka double: a read of the group's
 * offset made under a producer another agent had already fenced, answered only after the sink had
 * replaced that producer (and after the other agent had committed past the offset read), must not
 * become the new producer's starting point. Before the rule that an offset counts only under the
 * producer it was read under, the last commit below wrote input range [0, 12) a second time.
 */
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaTransactionalSink } from '../../src/sinks/kafka-transactional-sink.js';

const GROUP = 'g';
const INPUT = 'in';
const OUTPUT = 'out';
const TXN_ID = `sidestream-${GROUP}-${INPUT}-0`;

/** What a broker would answer a producer with a stale epoch. */
function fenced(): Error {
  return Object.assign(new Error('producer fenced'), {
    name: 'KafkaJSProtocolError',
    type: 'PRODUCER_FENCED',
    code: 90,
  });
}

/**
 * One partition's worth of Kafka: producer epochs per transactional id (initialised on connect),
 * transactions that commit output and the group's offset together, and offset reads the test can
 * hold (answering with the value at the time of the call) or fail.
 */
class KafkaDouble {
  readonly epochs = new Map<string, number>();
  committed = 0;
  readonly written: string[] = [];
  private held: { release: () => void } | undefined;
  private holdNext = false;
  private failNext = false;

  /** The next offset read answers later (with the offset as it was when asked); returns the release. */
  holdNextRead(): () => void {
    this.holdNext = true;
    return () => this.held?.release();
  }

  failNextRead(): void {
    this.failNext = true;
  }

  /** Another agent initialises the partition's transactional id (fencing every older producer). */
  otherAgentInitialises(): void {
    this.epochs.set(TXN_ID, (this.epochs.get(TXN_ID) ?? 0) + 1);
  }

  /** Another agent's committed transaction: its output and the group's new offset. */
  otherAgentCommits(until: number, values: string[]): void {
    this.written.push(...values);
    this.committed = until;
  }

  kafka(): Kafka {
    const double = this;
    return {
      producer({ transactionalId }: { transactionalId: string }) {
        let epoch = 0;
        const live = () => {
          if (epoch < (double.epochs.get(transactionalId) ?? 0)) throw fenced();
        };
        return {
          async connect() {
            epoch = (double.epochs.get(transactionalId) ?? 0) + 1;
            double.epochs.set(transactionalId, epoch);
          },
          async disconnect() {},
          async transaction() {
            const output: string[] = [];
            let offset: number | undefined;
            return {
              async send(record: { messages: { value: string }[] }) {
                live();
                output.push(...record.messages.map((m) => m.value));
              },
              async sendOffsets(request: { topics: { partitions: { offset: string }[] }[] }) {
                live();
                offset = Number(request.topics[0]?.partitions[0]?.offset);
              },
              async commit() {
                live();
                double.written.push(...output);
                if (offset !== undefined) double.committed = offset;
              },
              async abort() {},
            };
          },
        };
      },
      admin() {
        return {
          async connect() {},
          async disconnect() {},
          async fetchTopicMetadata() {
            return {
              topics: [
                { name: OUTPUT, partitions: [{ partitionId: 0, leader: 1, replicas: [1], isr: [1] }] },
              ],
            };
          },
          async fetchOffsets() {
            if (double.failNext) {
              double.failNext = false;
              throw Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' });
            }
            const answer = [
              { topic: INPUT, partitions: [{ partition: 0, offset: String(double.committed) }] },
            ];
            if (!double.holdNext) return answer;
            double.holdNext = false;
            return new Promise((resolve) => {
              double.held = { release: () => resolve(answer) };
            });
          },
        };
      },
    } as unknown as Kafka;
  }
}

/** The sink with the double behind it. */
class SinkOnDouble extends KafkaTransactionalSink {
  constructor(private readonly double: KafkaDouble) {
    super({ brokers: ['double:9092'], groupId: GROUP });
  }

  protected override client(): Promise<Kafka> {
    return Promise.resolve(this.double.kafka());
  }
}

const range = (fromOffset: number, untilOffset: number) => ({
  topic: INPUT,
  partition: 0,
  fromOffset,
  untilOffset,
});
const outputFor = (from: number, until: number) => [
  { topic: OUTPUT, messages: Array.from({ length: until - from }, (_, i) => ({ value: String(from + i) })) },
];

describe('KafkaTransactionalSink: an offset read under a replaced producer', () => {
  it('is not the new producer starting point: the range another agent committed is not written again', async () => {
    const double = new KafkaDouble();
    const sink = new SinkOnDouble(double);

    // This agent owns the partition: its producer (epoch 1) is initialised, the group is at 0.
    expect(await sink.fetchOffsets(INPUT, [0])).toEqual(new Map([[0, 0]]));
    // Another agent is assigned the partition and initialises the transactional id (epoch 2).
    double.otherAgentInitialises();
    // A re-read here goes out under the cached epoch-1 producer; its answer (0) is held.
    const release = double.holdNextRead();
    const staleRead = sink.fetchOffsets(INPUT, [0]);
    // This agent's commit meets the fence: nothing written, the producer dropped.
    await expect(sink.commitPartition(range(0, 10), outputFor(0, 10))).rejects.toMatchObject({
      code: 'SS_SINK_OFFSET_CONFLICT',
    });
    // The other agent commits [0, 10).
    double.otherAgentCommits(
      10,
      outputFor(0, 10)[0]!.messages.map((m) => m.value),
    );
    // A new assignment here initialises a new producer (epoch 3), then its read fails.
    double.failNextRead();
    await expect(sink.fetchOffsets(INPUT, [0])).rejects.toThrow('Connection error');
    // Only now does the held read answer, with the offset from before the other agent's commit.
    release();
    await staleRead;

    // The next commit, under the epoch-3 producer, must start from the group's real offset (10).
    await expect(sink.commitPartition(range(0, 12), outputFor(0, 12))).rejects.toMatchObject({
      code: 'SS_SINK_OFFSET_CONFLICT',
    });
    expect(double.committed).toBe(10);
    expect(double.written).toEqual(outputFor(0, 10)[0]!.messages.map((m) => m.value));
  });

  it('keeps an offset it committed under the same producer (the group may not show it yet)', async () => {
    const double = new KafkaDouble();
    const sink = new SinkOnDouble(double);
    await sink.fetchOffsets(INPUT, [0]);
    expect(await sink.commitPartition(range(0, 5), outputFor(0, 5))).toBe('applied');
    // The group still answers with the offset before the commit (its markers not yet written):
    double.committed = 0;
    expect(await sink.commitPartition(range(5, 8), outputFor(5, 8))).toBe('applied');
    expect(double.written).toEqual(outputFor(0, 8)[0]!.messages.map((m) => m.value));
  });
});
