/**
 * The harness of the direct Kafka stream's integration tests against the real broker: contexts
 * on the SystemClock stopped after each test (without waiting out a stuck batch), records
 * produced in sends of a bounded size, and the stream options that read a topic from its
 * earliest offset under the consumer group `g-<topic>`.
 */
import type { Message } from 'kafkajs';
import { StreamingContext, type StreamingContextOptions } from '../../src/index.js';
import { kafkaBrokers, newKafka } from './services.js';
import { stopAfterEach } from './stop-after-each.js';

export interface DirectStreamHarnessOptions {
  /** appName and defaultParallelism of every context (a context may override them). */
  readonly appName: string;
  readonly defaultParallelism: number;
  /** Records per producer send. */
  readonly sendSize: number;
}

export interface DirectStreamHarness {
  /** A context with a `batchIntervalMs` batch interval, stopped after the current test. */
  context(batchIntervalMs: number, options?: Partial<StreamingContextOptions>): StreamingContext;
  /** Produces `messages` to `topic` in order, `sendSize` records per send. */
  produce(topic: string, messages: readonly Message[]): Promise<void>;
  /** Stream options that read `topic` from its earliest offset as the group `g-<topic>`. */
  earliest(topic: string): {
    brokers: string[];
    topics: string[];
    groupId: string;
    startingOffsets: 'earliest';
  };
}

/** Call once in a test file (it registers an afterEach hook). */
export function directStreamHarness(defaults: DirectStreamHarnessOptions): DirectStreamHarness {
  const stopLater = stopAfterEach({ timeoutMs: 5000 });
  return {
    context: (batchIntervalMs, options = {}) =>
      stopLater(
        new StreamingContext({
          appName: defaults.appName,
          batchIntervalMs,
          defaultParallelism: defaults.defaultParallelism,
          ...options,
        }),
      ),
    async produce(topic, messages) {
      const producer = newKafka('producer').producer();
      await producer.connect();
      for (let i = 0; i < messages.length; i += defaults.sendSize)
        await producer.send({ topic, messages: messages.slice(i, i + defaults.sendSize) });
      await producer.disconnect();
    },
    earliest: (topic) => ({
      brokers: kafkaBrokers(),
      topics: [topic],
      groupId: `g-${topic}`,
      startingOffsets: 'earliest',
    }),
  };
}
