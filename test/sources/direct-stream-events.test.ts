/**
 * DirectStreamEvents: the exact events a direct Kafka stream posts (shapes as docs/kafka.md shows
 * them), each with its counter, and its failures as input events (a direct stream has no
 * receiver).
 */
import { describe, expect, it } from 'vitest';
import type { InputContext } from '../../src/dstream/input-source.js';
import type { SourceEvent } from '../../src/events/index.js';
import { DirectStreamEvents, type DirectStreamStats } from '../../src/sources/kafka/direct-stream-events.js';

function setup() {
  const events: SourceEvent[] = [];
  const ctx = {
    streamId: 3,
    report: (event: SourceEvent) => events.push(event),
  } as unknown as InputContext;
  const stats: DirectStreamStats = {
    recordErrors: 0,
    deadLettered: 0,
    rebalances: 0,
    offsetResets: 0,
    consumerFetched: 0,
    fetchPauses: 0,
  };
  const posted = new DirectStreamEvents('kafka:clicks', stats);
  posted.attach(ctx);
  return { posted, events, stats };
}

describe('DirectStreamEvents', () => {
  it('posts offsets-reset for a stored offset out of range, as docs/kafka.md shows it', () => {
    const { posted, events, stats } = setup();
    posted.offsetsReset(
      { topic: 'clicks', partition: 0 },
      { cause: 'out-of-range', storedOffset: 100, low: 120, high: 150 },
    );
    expect(events).toEqual([
      {
        type: 'offsets-reset',
        streamId: 3,
        stream: 'kafka:clicks',
        topic: 'clicks',
        partition: 0,
        storedOffset: 100,
        resetTo: 120,
        reason: 'stored offset 100 is outside the retained range [120, 150]',
      },
    ]);
    expect(stats.offsetResets).toBe(1);
  });

  it('posts offsets-reset for offsets retention deleted before a fetch reached them', () => {
    const { posted, events, stats } = setup();
    posted.offsetsReset(
      { topic: 'clicks', partition: 2 },
      { cause: 'deleted', storedOffset: 40, resetTo: 55 },
    );
    expect(events).toEqual([
      {
        type: 'offsets-reset',
        streamId: 3,
        stream: 'kafka:clicks',
        topic: 'clicks',
        partition: 2,
        storedOffset: 40,
        resetTo: 55,
        reason:
          'offsets [40, 55) were deleted (retention) before they were read; resuming from the earliest retained offset',
      },
    ]);
    expect(stats.offsetResets).toBe(1);
  });

  it('posts rebalance with what was assigned and revoked, and counts it', () => {
    const { posted, events, stats } = setup();
    posted.rebalance([{ topic: 'clicks', partition: 1 }], [{ topic: 'clicks', partition: 0 }]);
    expect(events).toEqual([
      {
        type: 'rebalance',
        streamId: 3,
        stream: 'kafka:clicks',
        assigned: [{ topic: 'clicks', partition: 1 }],
        revoked: [{ topic: 'clicks', partition: 0 }],
      },
    ]);
    expect(stats.rebalances).toBe(1);
  });

  it('posts record-error with the error name and message; dead-lettered ones are counted as such', () => {
    const { posted, events, stats } = setup();
    posted.recordError({ topic: 'clicks', partition: 1 }, 17, new SyntaxError('Unexpected token'), true);
    posted.recordError({ topic: 'clicks', partition: 1 }, 18, 'not an Error', false);
    expect(events).toEqual([
      {
        type: 'record-error',
        streamId: 3,
        stream: 'kafka:clicks',
        topic: 'clicks',
        partition: 1,
        offset: 17,
        errorType: 'SyntaxError',
        reason: 'SyntaxError: Unexpected token',
        deadLettered: true,
      },
      {
        type: 'record-error',
        streamId: 3,
        stream: 'kafka:clicks',
        topic: 'clicks',
        partition: 1,
        offset: 18,
        errorType: 'string',
        reason: 'not an Error',
        deadLettered: false,
      },
    ]);
    expect(stats).toMatchObject({ recordErrors: 2, deadLettered: 1 });
  });

  it('posts partition-lag with the batch time, without seconds when they are unknown', () => {
    const { posted, events } = setup();
    posted.partitionLag(1_763_800_000_000, {
      topic: 'clicks',
      partition: 2,
      records: 400,
      highWatermark: 500,
      committedOffset: 0,
    });
    expect(events).toEqual([
      {
        type: 'partition-lag',
        streamId: 3,
        stream: 'kafka:clicks',
        batchTime: 1_763_800_000_000,
        topic: 'clicks',
        partition: 2,
        records: 400,
        highWatermark: 500,
        committedOffset: 0,
      },
    ]);
  });

  it('posts input-connectivity with the reason, as docs/kafka.md shows it', () => {
    const { posted, events } = setup();
    posted.connectivity(false, 'no answer from 127.0.0.1:9092 to ListOffsets for 1.0 s');
    posted.connectivity(
      true,
      'answering again after: no answer from 127.0.0.1:9092 to ListOffsets for 1.0 s',
    );
    expect(events).toEqual([
      {
        type: 'input-connectivity',
        streamId: 3,
        stream: 'kafka:clicks',
        connected: false,
        reason: 'no answer from 127.0.0.1:9092 to ListOffsets for 1.0 s',
      },
      {
        type: 'input-connectivity',
        streamId: 3,
        stream: 'kafka:clicks',
        connected: true,
        reason: 'answering again after: no answer from 127.0.0.1:9092 to ListOffsets for 1.0 s',
      },
    ]);
  });

  it('reports failures as input-error events, never as receiver errors; before start it posts nothing but still counts', () => {
    const { posted, events } = setup();
    posted.failure('connect', 'cannot reach Kafka');
    expect(events).toEqual([
      {
        type: 'input-error',
        streamId: 3,
        stream: 'kafka:clicks',
        operation: 'connect',
        message: 'cannot reach Kafka',
      },
    ]);
    const stats: DirectStreamStats = {
      recordErrors: 0,
      deadLettered: 0,
      rebalances: 0,
      offsetResets: 0,
      consumerFetched: 0,
      fetchPauses: 0,
    };
    const unattached = new DirectStreamEvents('kafka:clicks', stats);
    unattached.rebalance([], []);
    unattached.failure('commit', 'lost');
    expect(stats.rebalances).toBe(1);
  });
});
