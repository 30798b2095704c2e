/**
 * OffsetStore: where a transactional sink keeps the offsets it has applied. When a direct stream
 * has one, it is the source of truth for where a newly assigned partition starts (ahead of the
 * offsets committed to Kafka, which are written after the sink and may lag it), so a partition
 * that moves to another agent resumes exactly where the sink stopped.
 */

export interface OffsetStore {
  /** The next offset to read for each partition the store knows; absent partitions are unknown. */
  fetchOffsets(topic: string, partitions: readonly number[]): Promise<Map<number, number>>;
}
