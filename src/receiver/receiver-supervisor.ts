/**
 * ReceiverSupervisor: runs one Receiver (Spark's ReceiverSupervisorImpl). What the receiver
 * stores goes through a BlockGenerator into blocks, and each block through `storeBlock` (the
 * block handler and the block tracker, see ReceiverSource) before its acknowledgements run.
 * A receiver that asks to restart, throws from onStart, or loses a block is stopped and started
 * again after a backoff that doubles per consecutive restart (from `restartDelayMs`, at most
 * `maxRestartDelayMs`) and resets once the receiver stores a block again. Records the receiver
 * rejects (reportRecordError) are posted as the stream's `record-error` input events, with the
 * stream's id and name, so they are counted like any input's rejected records. Its connection to
 * the upstream (ReceiverConnection: the lifecycle and what the receiver reports) is posted as
 * `input-connectivity` events, once per change.
 */

import { describeError } from '../errors.js';
import type { EventPoster } from '../events/streaming-listener.js';
import type { Clock } from '../time.js';
import { BlockGenerator, type SealedBlock } from './block-generator.js';
import type { RateLimiter } from './rate-limiter.js';
import type {
  DisconnectedOptions,
  Receiver,
  ReceiverSupervisorHandle,
  RejectedRecordDetails,
} from './receiver.js';
import { type ConnectionState, ReceiverConnection } from './receiver-connection.js';

export interface ReceiverSupervisorOptions<T> {
  readonly streamId: number;
  /** The input's name, in every event the supervisor posts. */
  readonly name: string;
  readonly clock: Clock;
  /** The bus: the supervisor posts the receiver's lifecycle events on it. */
  readonly events: EventPoster;
  readonly rateLimiter: RateLimiter;
  readonly blockIntervalMs: number;
  readonly maxQueuedBlocks?: number;
  /** First restart delay; default 2000 ms (Spark's). */
  readonly restartDelayMs: number;
  readonly maxRestartDelayMs?: number;
  /** Stores one block durably (as the stream is configured); rejects when it could not. */
  storeBlock(block: SealedBlock<T>): Promise<void>;
}

export class ReceiverSupervisor<T> implements ReceiverSupervisorHandle<T> {
  private isStopped = true;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly blocks: BlockGenerator<T>;
  private consecutiveRestarts = 0;
  private readonly connection: ReceiverConnection;
  restarts = 0;

  constructor(
    private readonly receiver: Receiver<T>,
    private readonly options: ReceiverSupervisorOptions<T>,
  ) {
    receiver.attachSupervisor(this);
    this.connection = new ReceiverConnection((connected, reason) =>
      options.events.post('onSourceEvent', {
        type: 'input-connectivity',
        streamId: options.streamId,
        stream: options.name,
        connected,
        reason,
      }),
    );
    this.blocks = new BlockGenerator<T>({
      streamId: options.streamId,
      clock: options.clock,
      blockIntervalMs: options.blockIntervalMs,
      ...(options.maxQueuedBlocks === undefined ? {} : { maxQueuedBlocks: options.maxQueuedBlocks }),
      rateLimiter: options.rateLimiter,
      push: async (block) => {
        await options.storeBlock(block);
        if (block.items.length > 0) this.consecutiveRestarts = 0;
      },
      onPushError: (error) => this.restart('a block could not be stored', error),
    });
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  /** Connected to the upstream, or why not (ReceiverConnection). */
  get connectionState(): ConnectionState {
    return this.connection.state;
  }

  /** Clock time the receiver last heard from its upstream; undefined before it reported any. */
  get lastResponseMs(): number | undefined {
    return this.connection.lastResponseMs;
  }

  start(): void {
    this.isStopped = false;
    this.blocks.start();
    this.startReceiver();
  }

  private startReceiver(): void {
    try {
      this.connection.started(() => this.receiver.onStart());
      this.post('onReceiverStarted');
    } catch (error) {
      this.restart('onStart threw', error);
    }
  }

  reportConnected(): void {
    if (!this.isStopped) this.connection.connected();
  }

  reportDisconnected(reason: string, options?: DisconnectedOptions): void {
    if (!this.isStopped) this.connection.disconnected(reason, options);
  }

  reportResponse(): void {
    this.connection.responded(this.options.clock.now());
  }

  push(items: readonly T[], onStored?: () => void): Promise<void> {
    if (this.isStopped) return Promise.resolve();
    return this.blocks.add(items, onStored);
  }

  pushBlock(items: readonly T[]): Promise<void> {
    if (this.isStopped) return Promise.reject(new Error('the receiver is stopped; the block was not stored'));
    return this.blocks.addBlock(items);
  }

  /** The delay before the next restart: doubles per consecutive restart, capped. */
  get nextRestartDelayMs(): number {
    const max = this.options.maxRestartDelayMs ?? 30_000;
    return Math.min(max, this.options.restartDelayMs * 2 ** Math.min(this.consecutiveRestarts, 16));
  }

  restart(reason: string, error?: unknown): void {
    if (this.isStopped || this.restartTimer) return;
    const message = error === undefined ? reason : `${reason}: ${describeError(error)}`;
    this.post('onReceiverError', message);
    this.connection.restarting(message);
    this.safeStop();
    const delay = this.nextRestartDelayMs;
    this.consecutiveRestarts++;
    this.restarts++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.isStopped) this.startReceiver();
    }, delay);
    this.restartTimer.unref();
  }

  reportError(message: string, error?: unknown): void {
    this.post('onReceiverError', error === undefined ? message : `${message}: ${describeError(error)}`);
  }

  /** A record the receiver rejected: posted as the stream's `record-error` input event. */
  reportRecordError(errorType: string, reason: string, details: RejectedRecordDetails = {}): void {
    const { streamId, name, events } = this.options;
    events.post('onSourceEvent', {
      type: 'record-error',
      streamId,
      stream: name,
      ...(details.position === undefined ? {} : { position: details.position }),
      errorType,
      reason,
      deadLettered: details.deadLettered ?? false,
    });
  }

  /** Stops the receiver, then stores what it had already handed over (sealed or not). */
  async stop(reason: string): Promise<void> {
    if (this.isStopped) return;
    this.isStopped = true;
    this.connection.stopped();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.safeStop();
    await this.blocks.stop();
    this.post('onReceiverStopped', reason);
  }

  private safeStop(): void {
    try {
      this.receiver.onStop();
    } catch (error) {
      this.post('onReceiverError', `onStop threw: ${describeError(error)}`);
    }
  }

  private post(hook: 'onReceiverStarted' | 'onReceiverError' | 'onReceiverStopped', message?: string): void {
    const { streamId, name, events } = this.options;
    events.post(hook, { streamId, name, ...(message === undefined ? {} : { message }) });
  }
}
