/**
 * The listener interface: one hook per event, and the one union of every event, TelemetryEvent.
 * Everything outside the data path (metrics, logs, traces, the HTTP API, the status page, the
 * batch log) learns what happened through these hooks, from ONE bus (engine/listener-bus.ts). The
 * engine, the receivers, the inputs and the write-ahead log post on it directly through
 * EventPoster; nobody translates one kind of event into another on the way.
 *
 * Adding a hook here adds a member to TelemetryEvent; the telemetry event table
 * (telemetry/event-table.ts) then does not compile until it has a row for it.
 */
import type {
  BatchOverdue,
  BatchRecord,
  BatchTraceContext,
  CompletedBatchRecord,
  EventTimeLagHistogram,
  OutputOperationRecord,
} from './batch-events.js';
import type { CheckpointFailure, CheckpointWritten, WalFailure, WalWritten } from './durability-events.js';
import type { SourceEvent } from './input-events.js';
import type { BlockStored, ReceiverEvent } from './receiver-events.js';
import type { TaskAttempt, TaskAttemptEnd, TaskFailure } from './task-events.js';

export interface StreamingListener {
  // ---- batches (the engine) ---------------------------------------------------------------------
  onBatchSubmitted?(batch: BatchRecord): void;
  onBatchStarted?(batch: BatchRecord): void;
  onBatchCompleted?(batch: CompletedBatchRecord): void;
  onOutputOperationStarted?(batchTime: number, op: OutputOperationRecord): void;
  onOutputOperationCompleted?(batchTime: number, op: OutputOperationRecord): void;
  /**
   * Once per batch that had records with event times, right before onBatchCompleted: each such
   * input's lag histogram (bucket counts computed by the engine while the batch was assembled).
   */
  onBatchEventTimeLag?(batchTime: number, lags: readonly EventTimeLagHistogram[]): void;
  onBatchTraceContext?(batchTime: number, context: BatchTraceContext): void;
  /** The next batch's generation fell more than two intervals behind, or caught up (BatchOverdue). */
  onBatchOverdue?(event: BatchOverdue): void;
  // ---- tasks (the engine) -----------------------------------------------------------------------
  onTaskFailed?(failure: TaskFailure): void;
  /** A task attempt starts (posted once per attempt, never per record). */
  onTaskStarted?(task: TaskAttempt): void;
  /** A task attempt ends, either way. */
  onTaskCompleted?(task: TaskAttemptEnd): void;
  // ---- inputs (every input: rate changes, rejected records, failures; Kafka's group events) ------
  onSourceEvent?(event: SourceEvent): void;
  // ---- receivers (module 3) ----------------------------------------------------------------------
  onReceiverStarted?(event: ReceiverEvent): void;
  onReceiverError?(event: ReceiverEvent): void;
  onReceiverStopped?(event: ReceiverEvent): void;
  onBlockStored?(block: BlockStored): void;
  // ---- durability (module 4) ---------------------------------------------------------------------
  onWalWritten?(write: WalWritten): void;
  /** A write failed (after retries), or recovery truncated a torn/corrupt tail (op 'recover'). */
  onWalError?(failure: WalFailure): void;
  onCheckpointWritten?(checkpoint: CheckpointWritten): void;
  onCheckpointFailed?(failure: CheckpointFailure): void;
}

/** The name of a hook: the event's name on the bus. */
export type ListenerHook = keyof StreamingListener;

/** The arguments a hook is called with. */
export type HookArgs<H extends ListenerHook> = Parameters<NonNullable<StreamingListener[H]>>;

/**
 * What posts events: the one bus, as the engine, receivers, inputs and the write-ahead log see
 * it. A post never throws and never waits: a listener that throws is caught and counted by the
 * bus, so telemetry cannot break the data path.
 */
export interface EventPoster {
  post<H extends ListenerHook>(hook: H, ...args: HookArgs<H>): void;
}

/** One listener call, `{ type: 'onBlockStored', args: [block] }`. */
export type HookEvent = {
  [H in Exclude<ListenerHook, 'onSourceEvent'>]-?: { readonly type: H; readonly args: HookArgs<H> };
}[Exclude<ListenerHook, 'onSourceEvent'>];

/** One input event, named by its variant: `{ type: 'source:rebalance', args: [event] }`. */
export type SourceTelemetryEvent = {
  [T in SourceEvent['type']]: {
    readonly type: `source:${T}`;
    readonly args: [Extract<SourceEvent, { type: T }>];
  };
}[SourceEvent['type']];

/**
 * THE union of telemetry events: every hook's call, with each input-event variant as a member of
 * its own (an input event is one hook, onSourceEvent, but each variant means something else).
 */
export type TelemetryEvent = HookEvent | SourceTelemetryEvent;
export type TelemetryEventType = TelemetryEvent['type'];
