/**
 * Receiver: the plug-in point for sources that push data and cannot replay it (sockets, pushed
 * events, a Kafka group consumer). Contract, as in Spark:
 * - onStart() must not block: start sockets/timers/consumers and return.
 * - onStop() releases what onStart acquired; it may be called after a failed start.
 * - store()/storeMany() add records to the current block (sealed every block interval); the
 *   optional callback runs once the block holding them is stored (durably, with the write-ahead
 *   log): the moment to acknowledge the source. The returned promise resolves when the receiver
 *   may take in more (rate limit, queue space): awaiting it is how a receiver obeys backpressure.
 * - storeBlock() stores records as one block and resolves once it is stored; it rejects when it
 *   could not be (nothing in it may be acknowledged).
 * - restart(reason) asks the supervisor to stop and start the receiver again after a backoff.
 * - reportError(message) reports a problem without restarting.
 * - reportRecordError(errorType, reason, details) reports one record the receiver rejected (a
 *   line over its bound): it is counted as a `record-error` input event of the stream, not as a
 *   receiver error; the receiver goes on.
 * - reportConnected() / reportDisconnected(reason) say whether the receiver is connected to its
 *   upstream (what /readyz, /api/status and sidestream_input_connected show); reportResponse()
 *   that it just heard from it. A receiver that never calls them counts as connected while it
 *   runs. A receiver that reports its connection calls reportDisconnected(reason, { pending: true })
 *   when it starts an attempt, so it is not connected until the attempt succeeds.
 */
import { SidestreamError } from '../errors.js';

/** What a receiver can say about a record it rejected, beyond its error type and reason. */
export interface RejectedRecordDetails {
  /** Where the record was, in words: `byte 1234 of /var/log/app.log`, `line 7 of connection 2`. */
  readonly position?: string;
  /** Whether it went to the stream's dead-letter destination; default false. */
  readonly deadLettered?: boolean;
}

export interface ReceiverSupervisorHandle<T> {
  push(items: readonly T[], onStored?: () => void): Promise<void>;
  pushBlock(items: readonly T[]): Promise<void>;
  restart(reason: string, error?: unknown): void;
  reportError(message: string, error?: unknown): void;
  reportRecordError(errorType: string, reason: string, details?: RejectedRecordDetails): void;
  /** Optional for handles that do not track connections (a test's collecting handle). */
  reportConnected?(): void;
  reportDisconnected?(reason: string, options?: DisconnectedOptions): void;
  reportResponse?(): void;
  readonly stopped: boolean;
}

/** How a receiver reports that it is not connected. */
export interface DisconnectedOptions {
  /**
   * True while an attempt is under way (`connecting to host:port`): not connected, but nothing
   * failed, so no disconnection is announced. Default false: an attempt failed or the connection
   * was lost, announced once as an `input-connectivity` event (logged at warn).
   */
  readonly pending?: boolean;
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

  store(item: T, onStored?: () => void): Promise<void> {
    return this.handle.push([item], onStored);
  }

  storeMany(items: readonly T[], onStored?: () => void): Promise<void> {
    if (items.length === 0 && !onStored) return Promise.resolve();
    return this.handle.push(items, onStored);
  }

  storeBlock(items: readonly T[]): Promise<void> {
    return this.handle.pushBlock(items);
  }

  restart(reason: string, error?: unknown): void {
    this.handle.restart(reason, error);
  }

  reportError(message: string, error?: unknown): void {
    this.handle.reportError(message, error);
  }

  /** One rejected record: a `record-error` input event (RecordError) of the stream. */
  reportRecordError(errorType: string, reason: string, details?: RejectedRecordDetails): void {
    this.handle.reportRecordError(errorType, reason, details);
  }

  /** Connected to the upstream now: after a connect, or when it answers again. */
  reportConnected(): void {
    this.handle.reportConnected?.();
  }

  /** Not connected to the upstream, and why (see DisconnectedOptions). */
  reportDisconnected(reason: string, options?: DisconnectedOptions): void {
    this.handle.reportDisconnected?.(reason, options);
  }

  /** Heard from the upstream just now (bytes read, a successful stat, a fetch answered). */
  reportResponse(): void {
    this.handle.reportResponse?.();
  }

  isStopped(): boolean {
    return this.supervisor?.stopped ?? true;
  }
}
