/**
 * CollectingSupervisor: a ReceiverSupervisorHandle for receiver tests without blocks or a bus.
 * It keeps what the receiver stores (acknowledging it on the next turn of the event loop, as a
 * stored block would be), the records it rejects, and its errors and restart requests.
 */
import type { ReceiverSupervisorHandle, RejectedRecordDetails } from '../../src/receiver/receiver.js';

export interface CollectedRecordError {
  readonly errorType: string;
  readonly reason: string;
  readonly details: RejectedRecordDetails | undefined;
}

export class CollectingSupervisor<T> implements ReceiverSupervisorHandle<T> {
  readonly stored: T[] = [];
  readonly recordErrors: CollectedRecordError[] = [];
  readonly errors: string[] = [];
  readonly restarts: string[] = [];
  stopped = false;

  push(items: readonly T[], onStored?: () => void): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stored.push(...items);
    if (onStored) setImmediate(onStored);
    return Promise.resolve();
  }

  pushBlock(items: readonly T[]): Promise<void> {
    this.stored.push(...items);
    return Promise.resolve();
  }

  restart(reason: string): void {
    this.restarts.push(reason);
  }

  reportError(message: string): void {
    this.errors.push(message);
  }

  reportRecordError(errorType: string, reason: string, details?: RejectedRecordDetails): void {
    this.recordErrors.push({ errorType, reason, details });
  }
}
