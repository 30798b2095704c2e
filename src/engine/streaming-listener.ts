/**
 * StreamingListener and the bus that delivers to listeners. Listeners are how everything
 * outside the data path (metrics, the HTTP API, the batch log, the status line) learns what
 * happened. A listener that throws is caught and counted: telemetry never breaks a batch.
 */
import type { SourceEvent } from '../dstream/input-source.js';
import type { BatchRecord, CompletedBatchRecord, OutputOperationRecord } from './batch-record.js';

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

export interface ReceiverEvent {
  readonly streamId: number;
  readonly name: string;
  readonly message?: string;
}

export interface StreamingListener {
  onSourceEvent?(event: SourceEvent): void;
  onBatchSubmitted?(batch: BatchRecord): void;
  onBatchStarted?(batch: BatchRecord): void;
  onBatchCompleted?(batch: CompletedBatchRecord): void;
  onOutputOperationStarted?(batchTime: number, op: OutputOperationRecord): void;
  onOutputOperationCompleted?(batchTime: number, op: OutputOperationRecord): void;
  onTaskFailed?(failure: TaskFailure): void;
  onReceiverStarted?(event: ReceiverEvent): void;
  onReceiverError?(event: ReceiverEvent): void;
  onReceiverStopped?(event: ReceiverEvent): void;
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
