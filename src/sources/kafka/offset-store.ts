/**
 * OffsetStore: where a transactional sink keeps the offsets it has applied. When a direct stream
 * has one, it is the source of truth for where a newly assigned partition starts (ahead of the
 * offsets committed to Kafka, which are written after the sink and may lag it), so a partition
 * that moves to another agent resumes exactly where the sink stopped.
 */

export interface OffsetStore {
  /** The next offset to read for each partition the store knows; absent partitions are unknown. */
  fetchOffsets(topic: string, partitions: readonly number[]): Promise<Map<number, number>>;
  /**
   * The stream starts `partition`, for which the store had no offset, at `offset` (its starting
   * offsets rule). Until the store has an offset of its own for it, it must accept only a range
   * that starts there: a later range, planned before an earlier one failed, would otherwise be
   * committed over the records of the failed one and lose them.
   */
  startingAt?(topic: string, partition: number, offset: number): void;
  /**
   * True when the store IS the stream's consumer group's committed offsets (the Kafka sink
   * commits them inside its transactions). The stream then never commits to the group itself: a
   * commit outside the sink's transactions (an empty range planned before an earlier batch
   * failed, say) would move the group's offset past records the sink never applied.
   */
  readonly ownsGroupOffsets?: boolean;
}
