/**
 * Committing a direct stream's batches to its consumer group: best effort (the offset log is the
 * source of truth; Kafka's copy is for outside lag tools and the next owner of a partition), so
 * a commit never fails a batch, and bounded, so a coordinator that does not answer never holds
 * the batch up longer than the stream's request time. A commit kafkajs is still sending when
 * the next batch commits is not duplicated: the newer offsets wait and go in the next request,
 * one request at a time, newest offset per partition, so an older commit can never land after a
 * newer one and move the group's offset back.
 */
import type { Consumer } from 'kafkajs';
import { describeError } from '../../errors.js';
import { type OffsetRange, topicPartitionKey } from '../../topic-partition.js';
import { type BrokerWatch, within } from './broker-watch.js';
import type { DirectStreamEvents } from './direct-stream-events.js';
import type { PartitionTable } from './partition-table.js';

interface Pending {
  readonly range: OffsetRange;
  readonly batchTime: number;
}

export class GroupCommits {
  /** Per partition key: the newest range not yet sent. */
  private readonly pending = new Map<string, Pending>();
  private sending: Promise<void> | undefined;

  constructor(
    private readonly table: PartitionTable,
    private readonly events: DirectStreamEvents,
    private readonly watch: BrokerWatch,
    /** `host:port` of the group coordinator when known, else the seed brokers. */
    private readonly coordinator: () => string,
  ) {}

  /**
   * Commits the until-offsets of `ranges` (the partitions still owned when it is sent) with
   * `consumer`; waits for it at most the stream's request time.
   */
  async commit(consumer: Consumer, batchTimeMs: number, ranges: readonly OffsetRange[]): Promise<void> {
    for (const range of ranges)
      this.pending.set(topicPartitionKey(range.topic, range.partition), { range, batchTime: batchTimeMs });
    if (this.pending.size === 0) return;
    this.sending ??= this.send(consumer).finally(() => {
      this.sending = undefined;
    });
    const waitMs = this.watch.timing.requestMs;
    try {
      await within(this.sending, waitMs, 'OffsetCommit');
    } catch {
      this.events.failure(
        'commit',
        `committing offsets to Kafka did not finish within ${waitMs} ms (${this.coordinator()} did not answer); the offset log has them, and the newest offsets are committed once it answers`,
      );
    }
  }

  /** Waits (at most `ms`) for the commits being sent: a graceful stop leaves the group's offsets current. */
  async flush(ms: number): Promise<void> {
    const sending = this.sending;
    if (sending) await within(sending, ms, 'OffsetCommit').catch(() => {});
  }

  private async send(consumer: Consumer): Promise<void> {
    while (this.pending.size > 0) {
      const batch = [...this.pending.values()].filter((p) => this.table.has(p.range));
      this.pending.clear();
      if (batch.length === 0) return;
      const coordinator = this.coordinator();
      try {
        // The metadata carries the batch's whole range, so an operator looking at the group with
        // kafka-consumer-groups (or a lag exporter) sees what the last batch read.
        await this.watch.track(
          'OffsetCommit',
          coordinator,
          consumer.commitOffsets(
            batch.map(({ range: r, batchTime }) => ({
              topic: r.topic,
              partition: r.partition,
              offset: String(r.untilOffset),
              metadata: JSON.stringify({ batchTime, from: r.fromOffset, until: r.untilOffset }),
            })),
          ),
        );
        this.table.committedTo(batch.map((p) => p.range));
      } catch (error) {
        this.events.failure(
          'commit',
          `committing offsets to Kafka failed (the offset log has them): ${describeError(error)}`,
        );
      }
    }
  }
}
