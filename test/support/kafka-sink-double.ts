/**
 * A Kafka double behind KafkaTransactionalSink (through its protected `client()`): one input
 * partition's worth of Kafka, with producer epochs per transactional id, transactions that commit
 * output and the group's offset together, and faults a test orders: offset reads held or failed,
 * producer connections refused.
 */
import type { Kafka } from 'kafkajs';
import { KafkaTransactionalSink } from '../../src/sinks/kafka-transactional-sink.js';

export const GROUP = 'g';
export const INPUT = 'in';
export const OUTPUT = 'out';
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
export class KafkaDouble {
  readonly epochs = new Map<string, number>();
  committed = 0;
  readonly written: string[] = [];
  private held: { release: () => void } | undefined;
  private holdNext = false;
  private failNext = false;
  private refusedConnects = 0;
  private failSend: Error | undefined;
  /** Producer connections asked for, failed ones included. */
  connects = 0;

  /** The next offset read answers later (with the offset as it was when asked); returns the release. */
  holdNextRead(): () => void {
    this.holdNext = true;
    return () => this.held?.release();
  }

  failNextRead(): void {
    this.failNext = true;
  }

  /** The next `n` producer connections fail as to a broker that is restarting (closed at once). */
  failNextConnects(n: number): void {
    this.refusedConnects = n;
  }

  /** The next transactional send fails with `error` (its transaction is then aborted). */
  failNextSend(error: Error): void {
    this.failSend = error;
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
            double.connects++;
            if (double.refusedConnects > 0) {
              double.refusedConnects--;
              throw Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError' });
            }
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
                const failure = double.failSend;
                double.failSend = undefined;
                if (failure) throw failure;
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
export class SinkOnDouble extends KafkaTransactionalSink {
  constructor(private readonly double: KafkaDouble) {
    super({ brokers: ['double:9092'], groupId: GROUP });
  }

  protected override client(): Promise<Kafka> {
    return Promise.resolve(this.double.kafka());
  }
}

/** An offset range of the double's input partition. */
export const range = (fromOffset: number, untilOffset: number) => ({
  topic: INPUT,
  partition: 0,
  fromOffset,
  untilOffset,
});

/** One output record per input offset, its value the offset. */
export const outputFor = (from: number, until: number) => [
  { topic: OUTPUT, messages: Array.from({ length: until - from }, (_, i) => ({ value: String(from + i) })) },
];
