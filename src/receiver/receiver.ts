/**
 * Receiver: the plug-in point for sources that push data and cannot replay it (sockets, pushed
 * events). Contract, as in Spark:
 * - onStart() must not block: start threads/sockets/timers and return.
 * - onStop() releases what onStart acquired; it may be called after a failed start.
 * - store() hands records to the supervisor; they belong to the next batch generated.
 * - restart(reason) asks the supervisor to stop and start the receiver again after a delay.
 * - reportError(message) reports a problem without restarting.
 */
import { SidestreamError } from '../errors.js';

export interface ReceiverSupervisorHandle<T> {
  push(items: readonly T[]): void;
  restart(reason: string, error?: unknown): void;
  reportError(message: string, error?: unknown): void;
  readonly stopped: boolean;
}

export abstract class Receiver<T> {
  private supervisor: ReceiverSupervisorHandle<T> | undefined;

  abstract onStart(): void;
  abstract onStop(): void;

  /** Set by the supervisor; a receiver is supervised by exactly one. */
  attachSupervisor(supervisor: ReceiverSupervisorHandle<T>): void {
    if (this.supervisor)
      throw new SidestreamError('SS_CONTEXT_STATE', 'a receiver instance can be used by one stream only');
    this.supervisor = supervisor;
  }

  private get handle(): ReceiverSupervisorHandle<T> {
    if (!this.supervisor)
      throw new SidestreamError(
        'SS_CONTEXT_STATE',
        'receiver is not started; pass it to ssc.receiverStream()',
      );
    return this.supervisor;
  }

  store(item: T): void {
    this.handle.push([item]);
  }

  storeMany(items: readonly T[]): void {
    if (items.length > 0) this.handle.push(items);
  }

  restart(reason: string, error?: unknown): void {
    this.handle.restart(reason, error);
  }

  reportError(message: string, error?: unknown): void {
    this.handle.reportError(message, error);
  }

  isStopped(): boolean {
    return this.supervisor?.stopped ?? true;
  }
}
