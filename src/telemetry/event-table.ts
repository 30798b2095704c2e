/**
 * The event table: one row per telemetry event (every listener hook, each input-event variant on
 * its own) saying what the event does to the metric catalogue and which log line, at which level,
 * it writes (the internal-events idea of Vector: an event carries its counter and its log line
 * together). The metrics listener (prometheus-listener.ts), the agent's event log and the batch
 * progress line are all driven by this table; docs/telemetry.md's event table is generated from
 * it, and test/telemetry/events.test.ts checks every row does what it says.
 *
 * The table is typed by TelemetryEventType, so a new hook or input-event variant does not compile
 * until it has a row. An effect that is deliberately absent says why (`none`).
 */
import type {
  HookArgs,
  ListenerHook,
  RecordError,
  SourceEvent,
  TelemetryEvent,
  TelemetryEventType,
} from '../events/index.js';
import { topicPartitionKey } from '../topic-partition.js';
import { batchProgressFields, formatBatchProgress } from './batch-progress-line.js';
import { type EventMetrics, errorTypeLabel, seconds } from './event-metrics.js';
import type { MetricName } from './metrics.js';

export type EventLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The arguments an event type is delivered with. */
export type EventArgs<T extends TelemetryEventType> = Extract<TelemetryEvent, { type: T }>['args'];

/** Deliberately no effect, and why. */
export interface NoEffect {
  readonly none: string;
}

export interface MetricEffect<T extends TelemetryEventType> {
  /** Every catalogue metric the event may change. */
  readonly metrics: readonly MetricName[];
  apply(m: EventMetrics, ...args: EventArgs<T>): void;
}

export interface LogEffect<T extends TelemetryEventType> {
  /** The level; a function when it depends on the event (then `levels` says how, for the docs). */
  readonly level: EventLogLevel | ((...args: EventArgs<T>) => EventLogLevel);
  readonly levels?: string;
  /** The line's shape, for docs/telemetry.md (`receiver <name>: <message>`). */
  readonly shape: string;
  message(...args: EventArgs<T>): string;
  /** Structured fields for JSON logs; the message alone when absent. */
  fields?(...args: EventArgs<T>): Record<string, unknown>;
}

export interface EventRow<T extends TelemetryEventType> {
  readonly metric: MetricEffect<T> | NoEffect;
  readonly log: LogEffect<T> | NoEffect;
}

export type EventTable = { readonly [T in TelemetryEventType]: EventRow<T> };

export function hasEffect<E extends object>(effect: E | NoEffect): effect is E {
  return !('none' in effect);
}

/** The table row's type of an event delivered to `hook` with `args`. */
export function eventTypeOf(hook: ListenerHook, args: readonly unknown[]): TelemetryEventType {
  return hook === 'onSourceEvent' ? `source:${(args[0] as SourceEvent).type}` : hook;
}

const PER_BATCH_IN_RECORD = 'in the batch record and the traces; one line per batch is onBatchCompleted';

export const EVENT_TABLE: EventTable = {
  onBatchSubmitted: {
    metric: {
      none: 'the waiting-batches and overdue-batch gauges are read from the engine at scrape time; a submission alone changes no counter',
    },
    log: { none: PER_BATCH_IN_RECORD },
  },
  onBatchStarted: {
    metric: { none: 'every batch number is final only at completion (onBatchCompleted)' },
    log: { none: PER_BATCH_IN_RECORD },
  },
  onBatchCompleted: {
    metric: {
      metrics: [
        'sidestream_batches_total',
        'sidestream_batch_scheduling_delay_seconds',
        'sidestream_batch_processing_delay_seconds',
        'sidestream_batch_total_delay_seconds',
        'sidestream_last_batch_scheduling_delay_seconds',
        'sidestream_last_batch_processing_delay_seconds',
        'sidestream_last_batch_total_delay_seconds',
        'sidestream_batch_generation_delay_seconds',
        'sidestream_last_batch_generation_delay_seconds',
        'sidestream_last_batch_records',
        'sidestream_last_completed_batch_timestamp_seconds',
        'sidestream_records_processed_total',
        'sidestream_input_errors_total',
        'sidestream_last_batch_event_time_lag_avg_seconds',
        'sidestream_last_batch_event_time_lag_max_seconds',
        'sidestream_tasks_total',
        'sidestream_kafka_partition_status',
      ],
      apply: (m, batch) => m.batchCompleted(batch),
    },
    log: {
      // A healthy batch is routine (debug; a terminal shows it as the progress line); a failed
      // one is worth a line at warn wherever the log goes.
      level: (batch) => (batch.outcome === 'failed' ? 'warn' : 'debug'),
      levels: 'debug; warn for a failed batch',
      shape:
        'the progress line, batch <time>  <n> records  [gen <d>]  sched <d>  proc <d>  lag <d>  [FAILED (<n> failed task attempts)]',
      message: (batch) => formatBatchProgress(batch),
      fields: (batch) => batchProgressFields(batch),
    },
  },
  onOutputOperationStarted: {
    metric: { none: 'per-operation timing is in the batch record and in traces, not in metrics' },
    log: { none: PER_BATCH_IN_RECORD },
  },
  onOutputOperationCompleted: {
    metric: { none: 'per-operation timing is in the batch record and in traces, not in metrics' },
    log: { none: PER_BATCH_IN_RECORD },
  },
  onBatchEventTimeLag: {
    metric: {
      metrics: ['sidestream_event_time_lag_seconds'],
      // The engine bucketed each input's lags while it assembled the batch; one add per input per
      // batch, never an observe() per record.
      apply: (m, _batchTime, lags) => {
        for (const lag of lags)
          m.eventTimeLag.add({ app: m.app, stream: lag.name }, lag.bucketCounts, lag.sumSeconds);
      },
    },
    log: { none: "the batch's lag summary is in its record and progress line" },
  },
  onBatchTraceContext: {
    metric: { none: 'trace links belong to tracing (TracingListener), not to metrics' },
    log: { none: 'trace links belong to tracing' },
  },
  onBatchOverdue: {
    metric: {
      none: 'sidestream_next_batch_overdue_seconds is read from the engine at scrape time, live between these events',
    },
    log: {
      // No batch is being generated: as loud as a lost upstream, which is often its cause.
      level: (e) => (e.overdue ? 'warn' : 'info'),
      levels: 'warn when a batch becomes overdue; info when generation catches up',
      shape:
        'batch <time> is overdue: not generated <s> after its time, waiting for <what> | batch generation caught up <s> after batch <time> was due',
      message: (e) =>
        e.overdue
          ? `batch ${new Date(e.batchTime).toISOString()} is overdue: not generated ${(e.lateMs / 1000).toFixed(1)} s after its time, waiting for ${e.waitingFor}`
          : `batch generation caught up ${(e.lateMs / 1000).toFixed(1)} s after batch ${new Date(e.batchTime).toISOString()} was due`,
      fields: (e) => ({
        batchTime: e.batchTime,
        overdue: e.overdue,
        lateMs: e.lateMs,
        waitingFor: e.waitingFor,
      }),
    },
  },
  onTaskFailed: {
    metric: {
      metrics: ['sidestream_task_failures_total'],
      apply: (m, f) => m.taskFailures.inc({ app: m.app, error_type: errorTypeLabel(f.errorType) }),
    },
    log: {
      level: 'warn',
      shape:
        "task for partition <p> of stage '<stage>' (batch <t>) failed on attempt <n>, retrying | no attempts left: <reason>",
      message: (f) =>
        `task for partition ${f.partition} of stage '${f.stage}'${f.batchTime === null ? '' : ` (batch ${f.batchTime})`} ` +
        `failed on attempt ${f.attempt}${f.willRetry ? ', retrying' : ', no attempts left'}: ${f.reason}`,
      fields: (f) => ({
        batchTime: f.batchTime,
        stage: f.stage,
        partition: f.partition,
        attempt: f.attempt,
        errorType: f.errorType,
      }),
    },
  },
  onTaskStarted: {
    metric: { none: 'task attempts are counted once they end (onTaskFailed, and the batch totals)' },
    log: { none: 'per attempt: in traces; failures are logged by onTaskFailed' },
  },
  onTaskCompleted: {
    metric: { none: 'task attempts are counted from the batch totals at completion, once per batch' },
    log: { none: 'per attempt: in traces; failures are logged by onTaskFailed' },
  },
  onReceiverStarted: {
    metric: {
      metrics: [
        'sidestream_receivers_active',
        'sidestream_records_received_total',
        'sidestream_receiver_errors_total',
      ],
      apply: (m, e) => m.receiverStarted(e.streamId, e.name),
    },
    log: {
      level: 'debug',
      shape: 'receiver <name> started',
      message: (e) => `receiver ${e.name} started`,
      fields: (e) => ({ receiver: e.name }),
    },
  },
  onReceiverError: {
    metric: {
      metrics: ['sidestream_receiver_errors_total'],
      apply: (m, e) => m.receiverErrors.inc({ app: m.app, stream: e.name }),
    },
    log: {
      level: 'warn',
      shape: 'receiver <name>: <message>',
      message: (e) => `receiver ${e.name}: ${e.message ?? 'error'}`,
      fields: (e) => ({ receiver: e.name }),
    },
  },
  onReceiverStopped: {
    metric: { metrics: ['sidestream_receivers_active'], apply: (m, e) => m.receiverStopped(e.streamId) },
    log: {
      level: 'debug',
      shape: 'receiver <name> stopped: <reason>',
      message: (e) => `receiver ${e.name} stopped${e.message === undefined ? '' : `: ${e.message}`}`,
      fields: (e) => ({ receiver: e.name }),
    },
  },
  onBlockStored: {
    metric: {
      metrics: ['sidestream_records_received_total'],
      apply: (m, b) => m.recordsReceived.inc({ app: m.app, stream: b.name }, b.numRecords),
    },
    log: { none: 'several blocks a second: counted in sidestream_records_received_total' },
  },
  onWalWritten: {
    metric: {
      metrics: [
        'sidestream_wal_writes_total',
        'sidestream_wal_bytes_total',
        'sidestream_wal_write_duration_seconds',
        'sidestream_wal_errors_total',
      ],
      apply: (m, w) => {
        m.walWrites.inc({ app: m.app });
        m.walBytes.inc({ app: m.app }, w.bytes);
        m.walDuration.observe({ app: m.app }, seconds(w.durationMs));
        // A log that writes can fail: its error series exists (at 0) from its first write.
        m.walErrors.inc({ app: m.app, log: w.log }, 0);
      },
    },
    log: { none: 'per append: counted and timed in the WAL metrics' },
  },
  onWalError: {
    metric: {
      metrics: ['sidestream_wal_errors_total'],
      apply: (m, f) => m.walErrors.inc({ app: m.app, log: f.log }),
    },
    log: {
      level: 'warn',
      shape: 'write-ahead log (<log>) <op>: <message>',
      message: (f) => `write-ahead log (${f.log}) ${f.op}: ${f.message}`,
      fields: (f) => ({ wal: f.log, op: f.op }),
    },
  },
  onCheckpointWritten: {
    metric: {
      metrics: ['sidestream_checkpoints_total', 'sidestream_last_checkpoint_timestamp_seconds'],
      apply: (m, c) => {
        m.checkpoints.inc({ app: m.app, outcome: 'succeeded' });
        m.checkpoints.inc({ app: m.app, outcome: 'failed' }, 0);
        m.lastCheckpoint.set({ app: m.app }, seconds(c.time));
      },
    },
    log: {
      level: 'debug',
      shape: 'checkpoint of batch <t> written (<bytes> bytes in <ms> ms)',
      message: (c) => `checkpoint of batch ${c.batchTime} written (${c.bytes} bytes in ${c.durationMs} ms)`,
      fields: (c) => ({ batchTime: c.batchTime, bytes: c.bytes, durationMs: c.durationMs }),
    },
  },
  onCheckpointFailed: {
    metric: {
      metrics: ['sidestream_checkpoints_total'],
      apply: (m) => {
        m.checkpoints.inc({ app: m.app, outcome: 'failed' });
        m.checkpoints.inc({ app: m.app, outcome: 'succeeded' }, 0);
      },
    },
    log: {
      none: 'the context stops with SS_CHECKPOINT_WRITE_FAILED, which the agent reports as an error; a line here would say it twice',
    },
  },
  'source:rate-changed': {
    metric: {
      metrics: ['sidestream_rate_limit_records_per_second'],
      apply: (m, e) => m.rateLimit.set({ app: m.app, stream: e.stream }, e.ratePerSec),
    },
    log: {
      level: 'debug',
      shape: '<stream>: backpressure rate <n> records/s',
      message: (e) => `${e.stream}: backpressure rate ${Math.round(e.ratePerSec)} records/s`,
      fields: (e) => ({ stream: e.stream, ratePerSec: e.ratePerSec }),
    },
  },
  'source:record-error': {
    metric: {
      metrics: ['sidestream_record_errors_total'],
      apply: (m, e) =>
        m.recordErrors.inc({ app: m.app, stream: e.stream, error_type: errorTypeLabel(e.errorType) }),
    },
    log: {
      // One per rejected record: a poisoned topic or a flood of over-long lines would flood a log
      // at warn. The counter and the dead-letter destination are where they are seen.
      level: 'debug',
      shape:
        '<stream>: record {<topic>-<partition>@<offset> | at <position>} rejected (<type>: <reason>)[, dead-lettered]',
      message: (e) =>
        `${e.stream}: record ${recordPlace(e)}rejected (${e.errorType}: ${e.reason})${e.deadLettered ? ', dead-lettered' : ''}`,
      fields: (e) => ({
        stream: e.stream,
        ...(e.topic === undefined ? {} : { topic: e.topic }),
        ...(e.partition === undefined ? {} : { partition: e.partition }),
        ...(e.offset === undefined ? {} : { offset: e.offset }),
        ...(e.position === undefined ? {} : { position: e.position }),
        errorType: e.errorType,
      }),
    },
  },
  'source:input-connectivity': {
    metric: {
      none: 'sidestream_input_connected and the last-response gauge are read from the input itself at scrape time, so they are right even between events',
    },
    log: {
      // Losing the upstream is what an operator must see at once; getting it back closes it.
      level: (e) => (e.connected ? 'info' : 'warn'),
      levels: 'warn when the input loses its upstream; info when it has it back',
      shape: 'input <stream> disconnected: <reason> | input <stream> connected again',
      message: (e) =>
        e.connected ? `input ${e.stream} connected again` : `input ${e.stream} disconnected: ${e.reason}`,
      fields: (e) => ({ input: e.stream, connected: e.connected }),
    },
  },
  'source:input-error': {
    metric: {
      metrics: ['sidestream_input_errors_total'],
      apply: (m, e) => m.inputErrors.inc({ app: m.app, stream: e.stream }),
    },
    log: {
      level: 'warn',
      shape: 'input <stream>: <message>',
      message: (e) => `input ${e.stream}: ${e.message}`,
      fields: (e) => ({ input: e.stream, operation: e.operation }),
    },
  },
  'source:rebalance': {
    metric: {
      metrics: [
        'sidestream_kafka_rebalances_total',
        'sidestream_kafka_assigned_partitions',
        'sidestream_kafka_partition_status',
        'sidestream_kafka_consumer_lag_records',
        'sidestream_kafka_consumer_lag_seconds',
        'sidestream_kafka_committed_lag_records',
        'sidestream_kafka_committed_lag_seconds',
        'sidestream_kafka_committed_offset',
        'sidestream_kafka_high_watermark',
      ],
      apply: (m, e) => m.rebalance(e),
    },
    log: {
      level: 'info',
      shape: '<stream>: rebalanced: assigned <partitions>; revoked <partitions>',
      message: (e) => {
        const names = (ps: readonly { topic: string; partition: number }[]) =>
          ps.length === 0 ? 'none' : ps.map((p) => topicPartitionKey(p.topic, p.partition)).join(', ');
        return `${e.stream}: rebalanced: assigned ${names(e.assigned)}; revoked ${names(e.revoked)}`;
      },
      fields: (e) => ({ stream: e.stream, assigned: e.assigned.length, revoked: e.revoked.length }),
    },
  },
  'source:offsets-reset': {
    metric: {
      none: 'rare, and it is logged at warn; its effect shows in the committed-offset gauge and as the partition status rewind',
    },
    log: {
      level: 'warn',
      shape: '<stream>: <topic>-<partition> moved from offset <stored> to <resetTo>: <reason>',
      message: (e) =>
        `${e.stream}: ${topicPartitionKey(e.topic, e.partition)} moved from offset ${e.storedOffset} to ${e.resetTo}: ${e.reason}`,
      fields: (e) => ({
        stream: e.stream,
        topic: e.topic,
        partition: e.partition,
        storedOffset: e.storedOffset,
        resetTo: e.resetTo,
      }),
    },
  },
  'source:partition-lag': {
    metric: {
      metrics: [
        'sidestream_kafka_consumer_lag_records',
        'sidestream_kafka_consumer_lag_seconds',
        'sidestream_kafka_committed_lag_records',
        'sidestream_kafka_committed_lag_seconds',
        'sidestream_kafka_committed_offset',
        'sidestream_kafka_high_watermark',
        'sidestream_kafka_assigned_partitions',
        'sidestream_kafka_partition_status',
      ],
      apply: (m, e) => m.partitionLag(e),
    },
    log: { none: 'per partition per batch: in the metrics, the batch record and the status page' },
  },
};

/** Where a rejected record was, with a trailing space: its Kafka position, or the input's words. */
function recordPlace(e: RecordError): string {
  if (e.topic !== undefined && e.partition !== undefined)
    return `${topicPartitionKey(e.topic, e.partition)}${e.offset === undefined ? '' : `@${e.offset}`} `;
  return e.position === undefined ? '' : `at ${e.position} `;
}

/** A row as a dispatcher sees it: the arguments are those the hook was called with. */
export interface DispatchRow {
  readonly metric:
    | { readonly metrics: readonly MetricName[]; apply(m: EventMetrics, ...args: unknown[]): void }
    | NoEffect;
  readonly log:
    | {
        readonly level: EventLogLevel | ((...args: unknown[]) => EventLogLevel);
        message(...args: unknown[]): string;
        fields?(...args: unknown[]): Record<string, unknown>;
      }
    | NoEffect;
}

/**
 * The row of one delivered event. Each row is typed by its own event's arguments; a hook's
 * arguments are exactly those of its event type (eventTypeOf), so the row can take them as given.
 */
export function rowOf(hook: ListenerHook, args: readonly unknown[]): DispatchRow {
  return EVENT_TABLE[eventTypeOf(hook, args)] as unknown as DispatchRow;
}

/** Every hook a table-driven listener implements: all of them (input events arrive on onSourceEvent). */
export const TABLE_HOOKS: readonly ListenerHook[] = [
  ...new Set(
    (Object.keys(EVENT_TABLE) as TelemetryEventType[]).map(
      (t) => (t.startsWith('source:') ? 'onSourceEvent' : t) as ListenerHook,
    ),
  ),
];

export type { HookArgs };
