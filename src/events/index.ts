/**
 * The event vocabulary (a leaf: types only, importing nothing of sidestream's but leaf types):
 * every payload posted on the listener bus and the listener interface. Folders import from here.
 */
export type {
  BatchInfo,
  BatchOutcome,
  BatchOverdue,
  BatchRecord,
  BatchTraceContext,
  CompletedBatchRecord,
  EventTimeLagHistogram,
  EventTimeLagSummary,
  InputMetadata,
  InputRecord,
  OutputOperationRecord,
  TaskTotals,
} from './batch-events.js';
export type {
  CheckpointFailure,
  CheckpointWritten,
  WalFailure,
  WalKind,
  WalWritten,
} from './durability-events.js';
export type {
  InputConnectivity,
  InputError,
  InputOperation,
  RateChanged,
  RecordError,
  SourceEvent,
  SourceEventType,
} from './input-events.js';
export type {
  KafkaOffsetsReset,
  KafkaPartitionLag,
  KafkaRebalance,
  PartitionLag,
} from './kafka-events.js';
export type { BlockStored, ReceiverEvent, ReceiverReporter } from './receiver-events.js';
export type {
  EventPoster,
  HookArgs,
  HookEvent,
  ListenerHook,
  SourceTelemetryEvent,
  StreamingListener,
  TelemetryEvent,
  TelemetryEventType,
} from './streaming-listener.js';
export type { TaskAttempt, TaskAttemptEnd, TaskFailure } from './task-events.js';
