/**
 * Everything a direct Kafka stream tells its listeners, posted from this one place: the source
 * events (`rebalance`, `offsets-reset`, `record-error`, `partition-lag`, `input-error`,
 * `input-connectivity`, shaped as src/events/ declares them and docs/kafka.md shows them). A direct stream has no receiver:
 * its failures are input events, never receiver errors. The counter that goes with an event is
 * bumped here, with it, so a count and its events cannot disagree.
 */
import type { InputContext } from '../../dstream/input-source.js';
import { describeError } from '../../errors.js';
import type { InputOperation, PartitionLag } from '../../events/index.js';
import type { TopicPartition } from '../../topic-partition.js';
import { errorType } from './decode-range.js';

/** Counts kept for status and tests. */
export interface DirectStreamStats {
  recordErrors: number;
  deadLettered: number;
  rebalances: number;
  offsetResets: number;
  /** Records the group consumer fetched on this thread (none when executors read). */
  consumerFetched: number;
  /** Times fetching of a partition paused because its buffer held maxBufferedRecordsPerPartition. */
  fetchPauses: number;
}

/** Why a partition does not resume where its stored position says. */
export type OffsetsReset =
  /** Retention deleted `[storedOffset, resetTo)` before it was read (a fetch found the gap). */
  | { readonly cause: 'deleted'; readonly storedOffset: number; readonly resetTo: number }
  /** The stored position of a newly assigned partition is outside `[low, high]`: it starts at `low`. */
  | {
      readonly cause: 'out-of-range';
      readonly storedOffset: number;
      readonly low: number;
      readonly high: number;
    };

export class DirectStreamEvents {
  private ctx: InputContext | undefined;

  constructor(
    private readonly stream: string,
    private readonly stats: DirectStreamStats,
  ) {}

  /** The context started the source: events go to its listeners from now on. */
  attach(ctx: InputContext): void {
    this.ctx = ctx;
  }

  rebalance(assigned: readonly TopicPartition[], revoked: readonly TopicPartition[]): void {
    this.stats.rebalances++;
    const ctx = this.ctx;
    ctx?.report({
      type: 'rebalance',
      streamId: ctx.streamId,
      stream: this.stream,
      assigned,
      revoked,
    });
  }

  offsetsReset(tp: TopicPartition, reset: OffsetsReset): void {
    this.stats.offsetResets++;
    const ctx = this.ctx;
    const resetTo = reset.cause === 'deleted' ? reset.resetTo : reset.low;
    ctx?.report({
      type: 'offsets-reset',
      streamId: ctx.streamId,
      stream: this.stream,
      topic: tp.topic,
      partition: tp.partition,
      storedOffset: reset.storedOffset,
      resetTo,
      reason:
        reset.cause === 'deleted'
          ? `offsets [${reset.storedOffset}, ${reset.resetTo}) were deleted (retention) before they were read; resuming from the earliest retained offset`
          : `stored offset ${reset.storedOffset} is outside the retained range [${reset.low}, ${reset.high}]`,
    });
  }

  /** A record the decoder rejected, once it is dealt with (dead-lettered when `deadLettered`). */
  recordError(tp: TopicPartition, offset: number, error: unknown, deadLettered: boolean): void {
    this.stats.recordErrors++;
    if (deadLettered) this.stats.deadLettered++;
    const ctx = this.ctx;
    ctx?.report({
      type: 'record-error',
      streamId: ctx.streamId,
      stream: this.stream,
      topic: tp.topic,
      partition: tp.partition,
      offset,
      errorType: errorType(error),
      reason: describeError(error),
      deadLettered,
    });
  }

  partitionLag(batchTimeMs: number, lag: PartitionLag): void {
    const ctx = this.ctx;
    ctx?.report({
      type: 'partition-lag',
      streamId: ctx.streamId,
      stream: this.stream,
      batchTime: batchTimeMs,
      ...lag,
    });
  }

  /** The stream lost its brokers (`reason` names the broker and what it waited for), or has them back. */
  connectivity(connected: boolean, reason: string): void {
    const ctx = this.ctx;
    ctx?.report({
      type: 'input-connectivity',
      streamId: ctx.streamId,
      stream: this.stream,
      connected,
      reason,
    });
  }

  /** Something the stream could not do and goes on without (it retries, or a batch fails). */
  failure(operation: InputOperation, message: string): void {
    const ctx = this.ctx;
    ctx?.report({ type: 'input-error', streamId: ctx.streamId, stream: this.stream, operation, message });
  }
}
