/**
 * whileCoordinatorMoves: runs a request to a consumer group's coordinator again while the
 * coordinator moves or loads its partition of the offsets topic (NOT_COORDINATOR,
 * GROUP_LOAD_IN_PROGRESS, ...: kind `coordinator` in kafka-failures.ts), with a growing pause,
 * for up to `waitMs`. After a broker dies that takes seconds, longer than kafkajs' own few
 * retries and than a task's attempts, which follow one another at once: in a fleet soak an
 * agent's Kafka sink failed one task's four attempts within 70 ms on GROUP_LOAD_IN_PROGRESS,
 * failing the batch and with it the agent. Any other error is thrown at once.
 */
import type { KafkaFailureKind } from './kafka-failures.js';
import { type Sleep, whileKafkaRecovers } from './while-kafka-recovers.js';

export const COORDINATOR_WAIT_MS = 30_000;

const COORDINATOR: ReadonlySet<KafkaFailureKind> = new Set(['coordinator']);

export function whileCoordinatorMoves<T>(
  request: () => Promise<T>,
  waitMs = COORDINATOR_WAIT_MS,
  sleep?: Sleep,
): Promise<T> {
  return whileKafkaRecovers(request, COORDINATOR, waitMs, sleep);
}
