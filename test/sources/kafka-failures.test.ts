/**
 * classifyKafkaFailure with the errors kafkajs 2.2.4 really throws: its protocol errors made from
 * the broker's error codes (createErrorFromCode, what a response parser throws), its network
 * errors, and the wrappers its retrier puts around them. "Not the leader" after a broker was
 * fenced, a moving coordinator and a refused connection are transient; authorization is not;
 * a broker that answered with an error code answered.
 */
import { createRequire } from 'node:module';
import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSRequestTimeoutError,
  KafkaJSTopicMetadataNotLoaded,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { BrokerTimeout } from '../../src/sources/kafka/broker-watch.js';
import { classifyKafkaFailure, isTransient } from '../../src/sources/kafka/kafka-failures.js';

const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode(code: number): Error;
};
// Exported by kafkajs, missing from its type declarations.
const { KafkaJSConnectionClosedError } = require('kafkajs') as {
  KafkaJSConnectionClosedError: new (message: string, where: { host: string; port: number }) => Error;
};

/** Kafka's error codes (the protocol's ErrorCodes table). */
const CODE = {
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  REBALANCE_IN_PROGRESS: 27,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  UNSUPPORTED_VERSION: 35,
  FENCED_LEADER_EPOCH: 74,
} as const;

describe('classifyKafkaFailure', () => {
  it('"not the leader" and its kin: leadership, answered, transient', () => {
    for (const code of [CODE.NOT_LEADER_OR_FOLLOWER, CODE.LEADER_NOT_AVAILABLE, CODE.FENCED_LEADER_EPOCH]) {
      const failure = classifyKafkaFailure(createErrorFromCode(code));
      expect(failure).toMatchObject({ kind: 'leadership', answered: true });
      expect(isTransient(failure)).toBe(true);
    }
    expect(classifyKafkaFailure(createErrorFromCode(CODE.NOT_LEADER_OR_FOLLOWER)).what).toBe(
      'NOT_LEADER_FOR_PARTITION',
    );
  });

  it('a coordinator that moved, loads, or a group rebalancing: coordinator, transient', () => {
    for (const code of [
      CODE.COORDINATOR_LOAD_IN_PROGRESS,
      CODE.COORDINATOR_NOT_AVAILABLE,
      CODE.NOT_COORDINATOR,
      CODE.REBALANCE_IN_PROGRESS,
    ]) {
      const failure = classifyKafkaFailure(createErrorFromCode(code));
      expect(failure).toMatchObject({ kind: 'coordinator', answered: true });
      expect(isTransient(failure)).toBe(true);
    }
  });

  it('no answer: refused, closed, timed out (kafkajs or ours), a broker-side request timeout', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1', {
      broker: '127.0.0.1:1',
      code: 'ECONNREFUSED',
    });
    const cases: Error[] = [
      refused,
      new KafkaJSConnectionClosedError('Closed connection', { host: '127.0.0.1', port: 9092 }),
      new KafkaJSRequestTimeoutError('Request ListOffsets(key: 2, version: 5) timed out', {
        broker: '127.0.0.1:9092',
        clientId: 'sidestream-g',
        correlationId: 3,
        createdAt: 0,
        sentAt: 0,
        pendingDuration: 0,
      }),
      new BrokerTimeout('ListOffsets to 127.0.0.1:9092: no answer within 3.0 s'),
      Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' }),
    ];
    for (const error of cases) {
      const failure = classifyKafkaFailure(error);
      expect(failure, error.message).toMatchObject({ kind: 'no-answer', answered: false });
      expect(isTransient(failure)).toBe(true);
    }
    expect(classifyKafkaFailure(createErrorFromCode(CODE.REQUEST_TIMED_OUT))).toMatchObject({
      kind: 'no-answer',
      answered: true,
    });
  });

  it('looks through the wrappers of kafkajs’ retrier to the error that ended it', () => {
    const last = createErrorFromCode(CODE.NOT_LEADER_OR_FOLLOWER);
    const exhausted = new KafkaJSNumberOfRetriesExceeded(last, { retryCount: 5, retryTime: 3000 });
    expect(classifyKafkaFailure(exhausted)).toMatchObject({ kind: 'leadership', answered: true });
    const refused = new KafkaJSConnectionError('refused', { code: 'ECONNREFUSED' });
    // kafkajs wraps with a cause its type declarations do not list.
    const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;
    const wrapped = new NonRetriable(refused, { cause: refused });
    expect(classifyKafkaFailure(wrapped)).toMatchObject({ kind: 'no-answer', answered: false });
  });

  it('metadata kafkajs has not loaded yet is stale metadata; another retriable kafkajs error is retriable', () => {
    expect(
      classifyKafkaFailure(new KafkaJSTopicMetadataNotLoaded('not loaded', { topic: 't' })),
    ).toMatchObject({
      kind: 'leadership',
    });
    expect(classifyKafkaFailure(new KafkaJSError('something transient'))).toMatchObject({
      kind: 'retriable',
      answered: false,
    });
  });

  it('an unknown topic is its own kind (deleted, or not known yet): transient, reported by the stream', () => {
    const failure = classifyKafkaFailure(createErrorFromCode(CODE.UNKNOWN_TOPIC_OR_PARTITION));
    expect(failure).toMatchObject({ kind: 'missing-topic', answered: true });
    expect(isTransient(failure)).toBe(true);
  });

  it('authorization, an unsupported request or a bug are permanent', () => {
    for (const code of [
      CODE.TOPIC_AUTHORIZATION_FAILED,
      CODE.GROUP_AUTHORIZATION_FAILED,
      CODE.UNSUPPORTED_VERSION,
    ]) {
      const failure = classifyKafkaFailure(createErrorFromCode(code));
      expect(failure).toMatchObject({ kind: 'permanent', answered: true });
      expect(isTransient(failure)).toBe(false);
    }
    expect(classifyKafkaFailure(new TypeError('x is undefined'))).toMatchObject({
      kind: 'permanent',
      answered: false,
    });
    expect(classifyKafkaFailure(new KafkaJSNonRetriableError('Invalid topic'))).toMatchObject({
      kind: 'permanent',
    });
  });
});
