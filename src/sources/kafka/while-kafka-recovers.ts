/**
 * whileKafkaRecovers: runs a Kafka request again while it fails with one of the given kinds of
 * transient failure (kafka-failures.ts), with a growing pause (100 ms doubling to 2 s), for up to
 * `waitMs`; the last error is thrown once the wait is spent, any other error (and every
 * SidestreamError) at once.
 *
 * Why: a task's attempts follow one another at once (as Spark's do), and kafkajs' own retries
 * last a few seconds, while a broker that was killed takes longer to be replaced as leader or
 * coordinator, and one restarting accepts connections and closes them. Without the pause, one
 * such outage spends every attempt of a task within milliseconds, fails the batch, and with the
 * default `onBatchFailure` stops the agent. Java clients ride such outages out inside the call
 * (their delivery and blocking timeouts); this gives our Kafka writes the same patience.
 */
import { SidestreamError } from '../../errors.js';
import { classifyKafkaFailure, type KafkaFailureKind } from './kafka-failures.js';

export type Sleep = (ms: number) => Promise<void>;

const sleepFor: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function whileKafkaRecovers<T>(
  request: () => Promise<T>,
  kinds: ReadonlySet<KafkaFailureKind>,
  waitMs: number,
  sleep: Sleep = sleepFor,
): Promise<T> {
  let waited = 0;
  for (let pause = 100; ; pause = Math.min(pause * 2, 2000)) {
    try {
      return await request();
    } catch (error) {
      // Our own errors are verdicts (an offset conflict, a fenced producer), whatever caused them.
      if (error instanceof SidestreamError) throw error;
      if (!kinds.has(classifyKafkaFailure(error).kind) || waited + pause > waitMs) throw error;
      await sleep(pause);
      waited += pause;
    }
  }
}
