/**
 * What a failed Kafka request means for a direct stream, decided from the error alone (no I/O,
 * and without loading kafkajs: its errors are recognised by their `name`, `type` and `code`, the
 * way kafkajs itself tells them apart). docs/kafka.md ("When brokers fail") lists the kinds and
 * what the stream does with each: every kind but `permanent` is transient and retried, and none
 * of them stops the stream.
 */

export type KafkaFailureKind =
  /** The broker did not answer: a timeout, a refused or closed connection, no broker reachable. */
  | 'no-answer'
  /** Metadata is stale: the partition moved to another leader, or has none right now. */
  | 'leadership'
  /** The group coordinator moved, is loading, or the group is rebalancing. */
  | 'coordinator'
  /** The topic or partition is unknown to the broker: deleted, or not yet known to every broker. */
  | 'missing-topic'
  /** Another error the broker (or kafkajs) says is worth retrying. */
  | 'retriable'
  /** Retrying will not help by itself: authorization, an unsupported request, a bad argument. */
  | 'permanent';

export interface KafkaFailure {
  readonly kind: KafkaFailureKind;
  /** A broker sent a response (an error code): it is up, whatever the response said. */
  readonly answered: boolean;
  /** The innermost Kafka error's type (`NOT_LEADER_FOR_PARTITION`) or name, for messages. */
  readonly what: string;
}

const LEADERSHIP = new Set([
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'REPLICA_NOT_AVAILABLE',
  'BROKER_NOT_AVAILABLE',
  'PREFERRED_LEADER_NOT_AVAILABLE',
  'ELIGIBLE_LEADERS_NOT_AVAILABLE',
  'OFFSET_NOT_AVAILABLE',
  'KAFKA_STORAGE_ERROR',
  'NOT_ENOUGH_REPLICAS',
]);

const COORDINATOR = new Set([
  'GROUP_LOAD_IN_PROGRESS',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_COORDINATOR',
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'UNSTABLE_OFFSET_COMMIT',
]);

const MISSING_TOPIC = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID']);

/** Errors of the network layer: nothing came back from a broker. */
const NO_ANSWER_NAMES = new Set([
  'BrokerTimeout',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
]);

/** Protocol error types that still mean the request was not served (the broker gave up on it). */
const NO_ANSWER_TYPES = new Set(['REQUEST_TIMED_OUT', 'NETWORK_EXCEPTION']);

const NO_ANSWER_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** kafkajs wraps the error that ended its retries (`cause`, or `originalError` in older paths). */
function innermost(error: unknown): unknown {
  let e = error;
  for (let depth = 0; depth < 8; depth++) {
    const next = (e as { cause?: unknown; originalError?: unknown } | null)?.cause;
    if (next === undefined || next === null || next === e) return e;
    e = next;
  }
  return e;
}

/** What `error`, thrown by a kafkajs call or a bounded request, means for the stream. */
export function classifyKafkaFailure(error: unknown): KafkaFailure {
  const inner = innermost(error) as {
    name?: unknown;
    type?: unknown;
    code?: unknown;
    retriable?: unknown;
  } | null;
  const name = typeof inner?.name === 'string' ? inner.name : '';
  const type = typeof inner?.type === 'string' ? inner.type : undefined;
  const what = type ?? (name || 'Error');
  // A protocol error carries the broker's numeric error code: a broker answered.
  const protocol = type !== undefined && typeof inner?.code === 'number';
  if (type !== undefined && NO_ANSWER_TYPES.has(type)) return { kind: 'no-answer', answered: protocol, what };
  if (type !== undefined && LEADERSHIP.has(type)) return { kind: 'leadership', answered: protocol, what };
  if (type !== undefined && COORDINATOR.has(type)) return { kind: 'coordinator', answered: protocol, what };
  if (type !== undefined && MISSING_TOPIC.has(type))
    return { kind: 'missing-topic', answered: protocol, what };
  if (NO_ANSWER_NAMES.has(name)) return { kind: 'no-answer', answered: false, what };
  if (typeof inner?.code === 'string' && NO_ANSWER_CODES.has(inner.code))
    return { kind: 'no-answer', answered: false, what: inner.code };
  // kafkajs' metadata was not loaded yet or names a broker it has not met: refresh and retry.
  if (
    name === 'KafkaJSMetadataNotLoaded' ||
    name === 'KafkaJSTopicMetadataNotLoaded' ||
    name === 'KafkaJSBrokerNotFound' ||
    name === 'KafkaJSStaleTopicMetadataAssignment'
  )
    return { kind: 'leadership', answered: false, what };
  if (name.startsWith('KafkaJS') && inner?.retriable === true)
    return { kind: 'retriable', answered: protocol, what };
  return { kind: 'permanent', answered: protocol, what };
}

/** Whether retrying (now or at the next batch) can make the request succeed by itself. */
export function isTransient(failure: KafkaFailure): boolean {
  return failure.kind !== 'permanent';
}
