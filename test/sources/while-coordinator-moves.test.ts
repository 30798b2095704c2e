import { describe, expect, it } from 'vitest';
import { whileCoordinatorMoves } from '../../src/sources/kafka/while-coordinator-moves.js';

/** A kafkajs protocol error as kafka-failures.ts recognises it: a type and the broker's code. */
function protocolError(type: string, code: number): Error {
  return Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, code, retriable: true });
}

describe('whileCoordinatorMoves', () => {
  it('asks again while the coordinator loads or moves, and returns the answer', async () => {
    const failures = [
      protocolError('GROUP_LOAD_IN_PROGRESS', 14),
      protocolError('NOT_COORDINATOR_FOR_GROUP', 16),
    ];
    const pauses: number[] = [];
    let calls = 0;
    const answer = await whileCoordinatorMoves(
      async () => {
        calls++;
        const failure = failures.shift();
        if (failure) throw failure;
        return 'offsets';
      },
      30_000,
      async (ms) => {
        pauses.push(ms);
      },
    );
    expect(answer).toBe('offsets');
    expect(calls).toBe(3);
    expect(pauses).toEqual([100, 200]);
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    const denied = protocolError('GROUP_AUTHORIZATION_FAILED', 30);
    await expect(
      whileCoordinatorMoves(
        async () => {
          calls++;
          throw denied;
        },
        30_000,
        async () => {},
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it('gives up with the last error once the wait is spent', async () => {
    const pauses: number[] = [];
    const loading = protocolError('COORDINATOR_LOAD_IN_PROGRESS', 14);
    await expect(
      whileCoordinatorMoves(
        async () => {
          throw loading;
        },
        5_000,
        async (ms) => {
          pauses.push(ms);
        },
      ),
    ).rejects.toBe(loading);
    // 3.1 s waited; the next pause (2 s) would pass the 5 s bound.
    expect(pauses).toEqual([100, 200, 400, 800, 1600]);
  });
});
