import { describe, expect, it } from 'vitest';
import { SidestreamError } from '../../src/errors.js';
import type { KafkaFailureKind } from '../../src/sources/kafka/kafka-failures.js';
import { whileKafkaRecovers } from '../../src/sources/kafka/while-kafka-recovers.js';

const NO_ANSWER: ReadonlySet<KafkaFailureKind> = new Set(['no-answer']);
const closed = () => Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError' });

describe('whileKafkaRecovers', () => {
  it('asks again after growing pauses while the failure is of a kind it waits out', async () => {
    const pauses: number[] = [];
    let calls = 0;
    const answer = await whileKafkaRecovers(
      async () => {
        if (++calls < 4) throw closed();
        return 'done';
      },
      NO_ANSWER,
      30_000,
      async (ms) => {
        pauses.push(ms);
      },
    );
    expect(answer).toBe('done');
    expect(pauses).toEqual([100, 200, 400]);
  });

  it('throws other kinds, and every SidestreamError, at once', async () => {
    const leadership = Object.assign(new Error('x'), { type: 'NOT_LEADER_OR_FOLLOWER', code: 6 });
    const conflict = new SidestreamError('SS_SINK_OFFSET_CONFLICT', 'moved on', { cause: closed() });
    for (const failure of [leadership, conflict]) {
      let calls = 0;
      await expect(
        whileKafkaRecovers(
          async () => {
            calls++;
            throw failure;
          },
          NO_ANSWER,
          30_000,
          async () => {},
        ),
      ).rejects.toBe(failure);
      expect(calls).toBe(1);
    }
  });

  it('gives up with the last error once the wait is spent', async () => {
    const pauses: number[] = [];
    const failure = closed();
    await expect(
      whileKafkaRecovers(
        async () => {
          throw failure;
        },
        NO_ANSWER,
        1_000,
        async (ms) => {
          pauses.push(ms);
        },
      ),
    ).rejects.toBe(failure);
    expect(pauses).toEqual([100, 200, 400]);
  });
});
