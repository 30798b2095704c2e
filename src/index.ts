/** sidestream's public API: an explicit list. */

export type { ReduceByKeyAndWindowOptions } from './dstream/dstream.js';
export { DStream } from './dstream/dstream.js';
export type { Job, OutputOperation } from './dstream/dstream-graph.js';
export type { InputBatch, InputContext, InputSource } from './dstream/input-source.js';
export { collectTraceparents, MAX_TRACE_LINKS } from './dstream/input-source.js';
export type { MapWithStateSpec, State } from './dstream/map-with-state.js';
export type { Partition, RddEnv } from './dstream/rdd.js';
export { RDD, standaloneRddEnv } from './dstream/rdd.js';
export type { EngineOptions } from './engine/engine-options.js';
export type { Executor, TaskDescriptor } from './engine/executor.js';
export { InProcessExecutor } from './engine/executor.js';
export type { BackpressureOptions } from './engine/rate/rate-controller.js';
export type { ErrorCode, ErrorRemedy } from './errors.js';
export { ERROR_CODES, isSidestreamError, remedyOf, SidestreamError } from './errors.js';
export { EVENT_TIME_LAG_BUCKETS_SECONDS, summarizeEventTimeLag } from './event-time-lag.js';
export type {
  BatchInfo,
  BatchOutcome,
  BatchOverdue,
  BatchRecord,
  BatchTraceContext,
  BlockStored,
  CheckpointFailure,
  CheckpointWritten,
  CompletedBatchRecord,
  EventPoster,
  EventTimeLagHistogram,
  EventTimeLagSummary,
  InputConnectivity,
  InputError,
  InputMetadata,
  InputOperation,
  InputRecord,
  KafkaOffsetsReset,
  KafkaPartitionLag,
  KafkaRebalance,
  ListenerHook,
  OutputOperationRecord,
  PartitionLag,
  RateChanged,
  ReceiverEvent,
  ReceiverReporter,
  RecordError,
  SourceEvent,
  StreamingListener,
  TaskAttempt,
  TaskAttemptEnd,
  TaskFailure,
  TaskTotals,
  TelemetryEvent,
  TelemetryEventType,
  WalFailure,
  WalKind,
  WalWritten,
} from './events/index.js';
export {
  ExecutorLostError,
  WorkerPoolExecutor,
  type WorkerPoolOptions,
  type WorkerPoolStats,
} from './executors/worker-pool-executor.js';
export { Receiver, type RejectedRecordDetails } from './receiver/receiver.js';
export type {
  KafkaSinkCompression,
  KafkaSinkOptions,
  OutputMessages,
} from './sinks/kafka-transactional-sink.js';
export { KafkaTransactionalSink } from './sinks/kafka-transactional-sink.js';
export type { CommitOutcome, PostgresSinkOptions } from './sinks/postgres-transactional-sink.js';
export { PostgresTransactionalSink } from './sinks/postgres-transactional-sink.js';
export type { SqlClient, SqlQueryResult } from './sinks/sql-client.js';
export type { UidDeduplicatorOptions } from './sinks/uid-deduplicator.js';
export { UidDeduplicator } from './sinks/uid-deduplicator.js';
export type { FileTailOptions } from './sources/file-tail-receiver.js';
export type { GeneratedEvent, GeneratorStreamOptions } from './sources/generator-source.js';
export type {
  FirstBatchPolicy,
  KafkaDirectStreamOptions,
} from './sources/kafka/kafka-direct-stream-options.js';
export type { HasOffsetRanges, KafkaDStream } from './sources/kafka/kafka-rdd.js';
export { hasOffsetRanges, KafkaRDD } from './sources/kafka/kafka-rdd.js';
export type { KafkaReceiverStreamOptions } from './sources/kafka/kafka-receiver.js';
export type { KafkaRecord, RawKafkaMessage } from './sources/kafka/kafka-record.js';
export type { OffsetStore } from './sources/kafka/offset-store.js';
export type { QueueStreamOptions } from './sources/queue-source.js';
export type { ReceiverStreamOptions } from './sources/receiver-source.js';
export type { SocketReceiverOptions } from './sources/socket-receiver.js';
export type { TextFileStreamOptions } from './sources/text-file-source.js';
export type { JobIdentity, SkippedCheckpoint } from './state/checkpoint-store.js';
export type {
  BatchFailurePolicy,
  ContextState,
  GetOrCreateOptions,
  RecoveryReport,
  StopOptions,
  StreamingContextOptions,
} from './streaming-context.js';
export { StreamingContext } from './streaming-context.js';
export { MetricsRegistry } from './telemetry/metrics-registry.js';
export type { PartitionStatus } from './telemetry/partition-status.js';
export { parseTraceparent, TRACER_NAME, TracingListener } from './telemetry/tracing.js';
export type {
  LabelValues,
  UserCounter,
  UserGauge,
  UserHistogram,
  UserMetrics,
} from './telemetry/user-metrics.js';
export type { Clock } from './time.js';
export { ManualClock, SystemClock } from './time.js';
export type { OffsetRange, TopicPartition } from './topic-partition.js';
export { parseTopicPartitionKey, topicPartitionKey } from './topic-partition.js';
