/**
 * StreamingListener and the bus that delivers to listeners. Listeners are how everything
 * outside the data path (metrics, the HTTP API, the batch log, the status line) learns what
 * happened. A listener that throws is caught and counted: telemetry never breaks a batch.
 */
import type { SourceEvent } from '../dstream/input-source.js';
import type {
  BatchRecord,
  CompletedBatchRecord,
  EventTimeLagHistogram,
  OutputOperationRecord,
} from './batch-record.js';

export interface TaskFailure {
  readonly batchTime: number | null;
  readonly stage: string;
  readonly rddId: number;
  readonly partition: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Whether another attempt follows. */
  readonly willRetry: boolean;
  readonly errorType: string;
  readonly reason: string;
}

/** One task attempt, as posted when it starts (onTaskStarted) and ends (onTaskCompleted). */
export interface TaskAttempt {
  readonly batchTime: number | null;
  readonly taskId: number;
  readonly stage: string;
  readonly rddId: number;
  readonly partition: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Clock time (epoch ms) the attempt started, or ended for onTaskCompleted. */
  readonly time: number;
}

/** The end of a task attempt; a failed one is also posted as onTaskFailed. */
export interface TaskAttemptEnd extends TaskAttempt {
  readonly succeeded: boolean;
  /** The thrown error's class name, when the attempt failed. */
  readonly errorType?: string;
  readonly reason?: string;
}

/**
 * Per-batch trace context, posted after the batch's jobs ran and before onBatchCompleted: at
 * most MAX_TRACE_LINKS distinct W3C `traceparent` values read from the batch's input records
 * (Kafka headers), and the Kafka consumer group of each input that has one.
 */
export interface BatchTraceContext {
  readonly traceparents: readonly string[];
  readonly consumerGroups: readonly { readonly streamId: number; readonly group: string }[];
}

export interface ReceiverEvent {
  readonly streamId: number;
  readonly name: string;
  readonly message?: string;
}

/** A receiver stored one block of records (posted once per block, never per record). */
export interface BlockStored {
  readonly streamId: number;
  readonly name: string;
  readonly numRecords: number;
  readonly bytes: number;
  /** True when the block was written to the write-ahead log before it was acknowledged. */
  readonly durable: boolean;
}

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

export interface StreamingListener {
  onSourceEvent?(event: SourceEvent): void;
  onBatchSubmitted?(batch: BatchRecord): void;
  onBatchStarted?(batch: BatchRecord): void;
  onBatchCompleted?(batch: CompletedBatchRecord): void;
  onOutputOperationStarted?(batchTime: number, op: OutputOperationRecord): void;
  onOutputOperationCompleted?(batchTime: number, op: OutputOperationRecord): void;
  onTaskFailed?(failure: TaskFailure): void;
  /** A task attempt starts (posted once per attempt, never per record). */
  onTaskStarted?(task: TaskAttempt): void;
  /** A task attempt ends, either way. */
  onTaskCompleted?(task: TaskAttemptEnd): void;
  onBatchTraceContext?(batchTime: number, context: BatchTraceContext): void;
  onReceiverStarted?(event: ReceiverEvent): void;
  onReceiverError?(event: ReceiverEvent): void;
  onReceiverStopped?(event: ReceiverEvent): void;
  onBlockStored?(block: BlockStored): void;
  onWalWritten?(write: WalWritten): void;
  /** A write failed (after retries), or recovery truncated a torn/corrupt tail (op 'recover'). */
  onWalError?(failure: WalFailure): void;
  onCheckpointWritten?(checkpoint: CheckpointWritten): void;
  onCheckpointFailed?(failure: CheckpointFailure): void;
  /**
   * Once per batch that had records with event times, right before onBatchCompleted: each such
   * input's lag histogram (bucket counts computed by the engine while the batch was assembled).
   */
  onBatchEventTimeLag?(batchTime: number, lags: readonly EventTimeLagHistogram[]): void;
}

type Hook = keyof StreamingListener;

export class ListenerBus {
  private listeners: StreamingListener[] = [];
  /** Listener calls that threw; exported as a metric by the telemetry layer. */
  errors = 0;
  onListenerError: (hook: Hook, error: unknown) => void = () => {};

  add(listener: StreamingListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  post<H extends Hook>(hook: H, ...args: Parameters<NonNullable<StreamingListener[H]>>): void {
    for (const listener of this.listeners) {
      const fn = listener[hook] as ((...a: unknown[]) => void) | undefined;
      if (!fn) continue;
      try {
        fn.apply(listener, args);
      } catch (error) {
        this.errors++;
        try {
          this.onListenerError(hook, error);
        } catch {
          // The error reporter itself failed; there is nowhere left to report to.
        }
      }
    }
  }
}
