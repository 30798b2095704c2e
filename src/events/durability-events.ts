/**
 * Module 4's events: write-ahead log appends and failures (posted by the log itself) and
 * metadata checkpoints (posted by the engine's checkpointer). Types only.
 */

/** Which write-ahead log an event is about: receiver data, or the block tracker's journal. */
export type WalKind = 'receiver-data' | 'block-journal';

/** One write-ahead log append (one record, or a group of records written and synced together). */
export interface WalWritten {
  readonly log: WalKind;
  readonly records: number;
  readonly bytes: number;
  readonly durationMs: number;
}

export interface WalFailure {
  readonly log: WalKind;
  readonly op: 'write' | 'read' | 'clean' | 'recover';
  readonly message: string;
  /** For op 'recover': bytes dropped when a torn or corrupt tail was truncated. */
  readonly droppedBytes?: number;
}

export interface CheckpointWritten {
  /** The batch time the checkpoint describes. */
  readonly batchTime: number;
  /** Clock time (epoch ms) the checkpoint became durable. */
  readonly time: number;
  readonly bytes: number;
  readonly durationMs: number;
}

export interface CheckpointFailure {
  readonly batchTime: number;
  readonly message: string;
}
