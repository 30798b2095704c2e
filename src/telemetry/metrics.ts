import { EVENT_TIME_LAG_BUCKETS_SECONDS } from '../event-time-lag.js';

/**
 * The metric catalogue: the one place metric names, types, units, help texts and label names are
 * written down (docs/reference.md lists them for users). Exporters create their metrics from these entries and
 * refer to them by name, so a misspelt name or label is a compile error, not a silent new series.
 *
 * Every metric also carries the label `app` (the agent's app name), first; `labelNames` lists the
 * other labels in catalogue order, which is the order the Graphite mapping appends them in.
 * Only metrics the listeners map from an event are listed here.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export type MetricUnit =
  | 'seconds'
  | 'records'
  | 'batches'
  | 'tasks'
  | 'failures'
  | 'info'
  | 'offset'
  | 'rebalances'
  | 'bytes'
  | 'writes'
  | 'checkpoints'
  | 'receivers'
  | 'partitions'
  | 'records_per_second'
  | 'restarts'
  | 'status'
  | 'boolean';

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly unit: MetricUnit;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Histogram bucket upper bounds, in the metric's unit. */
  readonly buckets?: readonly number[];
}

/** Batch delays from a few milliseconds to two minutes: a healthy batch sits in the low buckets. */
const DELAY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** One write-ahead log append, from half a millisecond (page cache) to seconds (a slow fsync). */
const WAL_WRITE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The statuses of sidestream_kafka_partition_status (PartitionStatusTracker, docs/telemetry.md). */
export const PARTITION_STATUSES = ['ok', 'warn', 'stall', 'stop', 'rewind'] as const;

export const METRICS = [
  {
    name: 'sidestream_build_info',
    type: 'gauge',
    unit: 'info',
    help: 'Always 1; the labels say which sidestream version runs this app.',
    labelNames: ['version'],
  },
  {
    name: 'sidestream_batches_total',
    type: 'counter',
    unit: 'batches',
    help: 'Completed batches by outcome (succeeded or failed).',
    labelNames: ['outcome'],
  },
  {
    name: 'sidestream_batch_interval_seconds',
    type: 'gauge',
    unit: 'seconds',
    help: 'The configured batch interval.',
    labelNames: [],
  },
  {
    name: 'sidestream_batch_scheduling_delay_seconds',
    type: 'histogram',
    unit: 'seconds',
    help: 'Time a batch waited for the previous one before it started (processing start - submission).',
    labelNames: [],
    buckets: DELAY_BUCKETS,
  },
  {
    name: 'sidestream_batch_processing_delay_seconds',
    type: 'histogram',
    unit: 'seconds',
    help: "Time a batch's output operations took (processing end - processing start).",
    labelNames: [],
    buckets: DELAY_BUCKETS,
  },
  {
    name: 'sidestream_batch_total_delay_seconds',
    type: 'histogram',
    unit: 'seconds',
    help: 'Scheduling plus processing delay of each batch.',
    labelNames: [],
    buckets: DELAY_BUCKETS,
  },
  {
    name: 'sidestream_batch_generation_delay_seconds',
    type: 'histogram',
    unit: 'seconds',
    help:
      "Time from a batch's batch time to its submission (its inputs captured, a direct stream's plan " +
      'included), of completed batches; not part of the scheduling or total delay, which Spark measures from submission.',
    labelNames: [],
    buckets: DELAY_BUCKETS,
  },
  {
    name: 'sidestream_last_batch_scheduling_delay_seconds',
    type: 'gauge',
    unit: 'seconds',
    help: 'Scheduling delay of the most recently completed batch.',
    labelNames: [],
  },
  {
    name: 'sidestream_last_batch_processing_delay_seconds',
    type: 'gauge',
    unit: 'seconds',
    help: 'Processing delay of the most recently completed batch.',
    labelNames: [],
  },
  {
    name: 'sidestream_last_batch_total_delay_seconds',
    type: 'gauge',
    unit: 'seconds',
    help: 'Total delay of the most recently completed batch.',
    labelNames: [],
  },
  {
    name: 'sidestream_last_batch_generation_delay_seconds',
    type: 'gauge',
    unit: 'seconds',
    help: 'Generation delay (submission - batch time) of the most recently completed batch.',
    labelNames: [],
  },
  {
    name: 'sidestream_last_batch_records',
    type: 'gauge',
    unit: 'records',
    help: 'Input records of the most recently completed batch, over all inputs.',
    labelNames: [],
  },
  {
    name: 'sidestream_last_completed_batch_timestamp_seconds',
    type: 'gauge',
    unit: 'seconds',
    help: 'Unix time at which the most recently completed batch finished processing.',
    labelNames: [],
  },
  {
    name: 'sidestream_batches_waiting',
    type: 'gauge',
    unit: 'batches',
    help: 'Batches generated but not yet started because an earlier batch is still running.',
    labelNames: [],
  },
  {
    name: 'sidestream_next_batch_overdue_seconds',
    type: 'gauge',
    unit: 'seconds',
    help:
      'How far past its time the next batch is while it has not been submitted (its generation, e.g. a ' +
      'plan waiting on a broker that does not answer, is not done); 0 while generation keeps up. Read at scrape time.',
    labelNames: [],
  },
  {
    name: 'sidestream_records_processed_total',
    type: 'counter',
    unit: 'records',
    help: 'Input records of completed batches (either outcome; see sidestream_batches_total), by input stream.',
    labelNames: ['stream'],
  },
  {
    name: 'sidestream_tasks_total',
    type: 'counter',
    unit: 'tasks',
    help:
      'Task attempts by outcome: failed counts every attempt that threw, succeeded every attempt that ' +
      'returned (a task that failed twice then succeeded adds 2 failed and 1 succeeded).',
    labelNames: ['outcome'],
  },
  {
    name: 'sidestream_task_failures_total',
    type: 'counter',
    unit: 'failures',
    help: 'Failed task attempts, retried or not, by the error type (the thrown error class name).',
    labelNames: ['error_type'],
  },
  {
    name: 'sidestream_last_batch_event_time_lag_avg_seconds',
    type: 'gauge',
    unit: 'seconds',
    help:
      "Average of (processing start - event time) over the last batch's records, by input stream; " +
      'absent when the last batch had no records with an event time.',
    labelNames: ['stream'],
  },
  {
    name: 'sidestream_last_batch_event_time_lag_max_seconds',
    type: 'gauge',
    unit: 'seconds',
    help:
      "Largest (processing start - event time) over the last batch's records, by input stream; " +
      'absent when the last batch had no records with an event time.',
    labelNames: ['stream'],
  },
  {
    name: 'sidestream_record_errors_total',
    type: 'counter',
    unit: 'records',
    help:
      "Input records the stream rejected (its decoder threw, or a text line was over the input's maxLineBytes: LineTooLong): " +
      'skipped, and dead-lettered when configured; by stream and error type.',
    labelNames: ['stream', 'error_type'],
  },
  {
    name: 'sidestream_kafka_consumer_lag_records',
    type: 'gauge',
    unit: 'records',
    help: 'Records of a partition left after the latest planned batch (high watermark - its until-offset).',
    labelNames: ['topic', 'partition'],
  },
  {
    name: 'sidestream_kafka_consumer_lag_seconds',
    type: 'gauge',
    unit: 'seconds',
    help:
      'Age (now - Kafka timestamp) of the oldest record of a partition not yet planned; 0 when caught up; ' +
      'absent while that record has not been fetched.',
    labelNames: ['topic', 'partition'],
  },
  {
    name: 'sidestream_kafka_committed_lag_records',
    type: 'gauge',
    unit: 'records',
    help:
      'Records of a partition after its committed offset (high watermark - committed offset): the lag ' +
      'kafka-lag-exporter and Burrow show; includes batches planned but not committed. Absent unless the input reports it.',
    labelNames: ['topic', 'partition'],
  },
  {
    name: 'sidestream_kafka_committed_lag_seconds',
    type: 'gauge',
    unit: 'seconds',
    help:
      'Age (now - Kafka timestamp) of the record at the committed offset of a partition, the oldest not ' +
      'committed; 0 when nothing waits. Absent unless the input reports it.',
    labelNames: ['topic', 'partition'],
  },
  {
    name: 'sidestream_kafka_committed_offset',
    type: 'gauge',
    unit: 'offset',
    help: 'The offset the stream last committed for a partition (where its consumer group resumes).',
    labelNames: ['topic', 'partition'],
  },
  {
    name: 'sidestream_kafka_high_watermark',
    type: 'gauge',
    unit: 'offset',
    help: "A partition's high watermark when the latest batch was planned.",
    labelNames: ['topic', 'partition'],
  },
  {
    name: 'sidestream_kafka_rebalances_total',
    type: 'counter',
    unit: 'rebalances',
    help: 'Partition assignments this agent received from its consumer group.',
    labelNames: [],
  },
  {
    name: 'sidestream_kafka_assigned_partitions',
    type: 'gauge',
    unit: 'partitions',
    help: 'Kafka partitions this agent currently owns, over all its Kafka inputs (from rebalances and planned batches).',
    labelNames: [],
  },
  {
    name: 'sidestream_kafka_partition_status',
    type: 'gauge',
    unit: 'status',
    help:
      "Burrow-style health of a partition's consumption over its last committed offsets and committed lag " +
      '(ok, warn, stall, stop, rewind; see docs/telemetry.md): 1 for the current status, 0 for the four others.',
    labelNames: ['topic', 'partition', 'status'],
  },
  {
    name: 'sidestream_event_time_lag_seconds',
    type: 'histogram',
    unit: 'seconds',
    help:
      'Processing start - event time of every record of completed batches, by input stream (bucketed ' +
      'once per batch by the engine).',
    labelNames: ['stream'],
    buckets: EVENT_TIME_LAG_BUCKETS_SECONDS,
  },
  {
    name: 'sidestream_records_received_total',
    type: 'counter',
    unit: 'records',
    help: 'Records receivers stored in blocks (counted per block when stored, before a batch takes them), by input stream.',
    labelNames: ['stream'],
  },
  {
    name: 'sidestream_receivers_active',
    type: 'gauge',
    unit: 'receivers',
    help: 'Receivers started and not stopped.',
    labelNames: [],
  },
  {
    name: 'sidestream_receiver_errors_total',
    type: 'counter',
    unit: 'failures',
    help: 'Errors receivers reported (each may be followed by a restart), by input stream.',
    labelNames: ['stream'],
  },
  {
    name: 'sidestream_input_errors_total',
    type: 'counter',
    unit: 'failures',
    help: 'Failures inputs reported that did not stop them (cannot reach the upstream, a commit upstream failed, a stored block unreadable), by input stream.',
    labelNames: ['stream'],
  },
  {
    name: 'sidestream_input_connected',
    type: 'gauge',
    unit: 'boolean',
    help:
      'Whether an input is connected to its upstream (1) or not (0), by input stream; read from the input at ' +
      'scrape time. No series for inputs without an upstream (queue, generator).',
    labelNames: ['stream'],
  },
  {
    name: 'sidestream_input_last_response_timestamp_seconds',
    type: 'gauge',
    unit: 'seconds',
    help:
      'Unix time an input last heard from its upstream (a broker answer, bytes on a socket, a file read), by ' +
      'input stream; read at scrape time. Absent before the first answer and for inputs without an upstream.',
    labelNames: ['stream'],
  },
  {
    name: 'sidestream_rate_limit_records_per_second',
    type: 'gauge',
    unit: 'records_per_second',
    help: "The backpressure rate limit the stream's rate estimator last set, by input stream; absent until it sets one.",
    labelNames: ['stream'],
  },
  {
    name: 'sidestream_wal_writes_total',
    type: 'counter',
    unit: 'writes',
    help: 'Write-ahead log appends made durable (receiver data and block journal together).',
    labelNames: [],
  },
  {
    name: 'sidestream_wal_bytes_total',
    type: 'counter',
    unit: 'bytes',
    help: 'Bytes appended to the write-ahead logs.',
    labelNames: [],
  },
  {
    name: 'sidestream_wal_write_duration_seconds',
    type: 'histogram',
    unit: 'seconds',
    help: 'Duration of one write-ahead log append, sync included.',
    labelNames: [],
    buckets: WAL_WRITE_BUCKETS,
  },
  {
    name: 'sidestream_wal_errors_total',
    type: 'counter',
    unit: 'failures',
    help:
      'Write-ahead log failures (a write that failed after retries, a failed read or clean-up, a torn ' +
      'tail truncated at recovery), by log (receiver-data or block-journal).',
    labelNames: ['log'],
  },
  {
    name: 'sidestream_checkpoints_total',
    type: 'counter',
    unit: 'checkpoints',
    help: 'Metadata checkpoints by outcome (written or failed).',
    labelNames: ['outcome'],
  },
  {
    name: 'sidestream_last_checkpoint_timestamp_seconds',
    type: 'gauge',
    unit: 'seconds',
    help: 'Unix time at which the latest metadata checkpoint became durable; absent before the first.',
    labelNames: [],
  },
  {
    name: 'sidestream_restarts_total',
    type: 'counter',
    unit: 'restarts',
    help:
      'Times the supervisor (sidestream run --supervise) restarted the agent process after a crash; ' +
      'carried into each new process, so it keeps counting across restarts. 0 when not supervised.',
    labelNames: [],
  },
  {
    name: 'sidestream_exporter_errors_total',
    type: 'counter',
    unit: 'failures',
    help:
      'Push-exporter failures, by exporter (graphite, pushgateway): for graphite one per failed connect, ' +
      'socket error or send error, plus one per data point dropped because the exporter buffer was full; ' +
      'for pushgateway one per failed push.',
    labelNames: ['exporter'],
  },
] as const satisfies readonly MetricSpec[];

export type MetricName = (typeof METRICS)[number]['name'];

type SpecOf<N extends MetricName> = Extract<(typeof METRICS)[number], { name: N }>;

/** Names of the catalogue's metrics of one type, e.g. MetricNameOf<'counter'>. */
export type MetricNameOf<T extends MetricType> = Extract<(typeof METRICS)[number], { type: T }>['name'];

/** The labels of a metric: `app` plus its catalogue labels. */
export type LabelOf<N extends MetricName> = 'app' | SpecOf<N>['labelNames'][number];

export function metricSpec(name: MetricName): MetricSpec {
  const spec: MetricSpec | undefined = METRICS.find((m) => m.name === name);
  if (!spec) throw new Error(`metric ${name} is not in the catalogue`);
  return spec;
}
