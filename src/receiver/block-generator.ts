/**
 * BlockGenerator: turns a receiver's stream of store() calls into blocks (Spark's class of the
 * same name). Records accumulate in the current buffer; every `blockIntervalMs` (default 200 ms)
 * the buffer is sealed into a block and queued; one pusher stores queued blocks in order and only
 * then runs the callbacks of the store() calls they contain, which is where a reliable receiver
 * acknowledges its source. The queue is bounded: when it is full, and when the rate limiter says
 * so, store() callers wait (that wait is the receiver's backpressure).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../time.js';
import type { RateLimiter } from './rate-limiter.js';

export interface SealedBlock<T> {
  readonly id: string;
  readonly items: readonly T[];
  /** Clock time the block was sealed. */
  readonly timeMs: number;
}

export interface BlockGeneratorOptions<T> {
  readonly streamId: number;
  readonly clock: Clock;
  readonly blockIntervalMs: number;
  /** Sealed blocks waiting to be stored before store() callers must wait; default 10. */
  readonly maxQueuedBlocks?: number;
  readonly rateLimiter: RateLimiter;
  /** Stores one block; a rejection means it was NOT stored and nothing in it is acknowledged. */
  push(block: SealedBlock<T>): Promise<void>;
  /** A block could not be stored (the receiver is restarted by its supervisor). */
  onPushError(error: unknown, block: SealedBlock<T>): void;
}

interface Queued<T> {
  readonly block: SealedBlock<T>;
  readonly callbacks: readonly (() => void)[];
  readonly done?: { resolve: () => void; reject: (e: unknown) => void };
}

export class BlockGenerator<T> {
  private current: T[] = [];
  private currentCallbacks: (() => void)[] = [];
  private readonly queue: Queued<T>[] = [];
  private spaceWaiters: (() => void)[] = [];
  private wakePusher: (() => void) | undefined;
  private readonly session = randomUUID().slice(0, 8);
  private seq = 0;
  private abort: AbortController | undefined;
  private pusher: Promise<void> = Promise.resolve();
  private running = false;
  private readonly maxQueued: number;

  constructor(private readonly options: BlockGeneratorOptions<T>) {
    this.maxQueued = options.maxQueuedBlocks ?? 10;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    void this.sealLoop(this.abort.signal);
    this.pusher = this.pushLoop();
  }

  /**
   * Adds records to the current block; `onStored` runs once the block holding them is stored.
   * Resolves when the caller may take in more (rate limit and queue space permitting).
   */
  async add(items: readonly T[], onStored?: () => void): Promise<void> {
    if (!this.running) return;
    for (const x of items) this.current.push(x);
    if (onStored) this.currentCallbacks.push(onStored);
    await this.options.rateLimiter.acquire(items.length, this.abort?.signal).catch(() => {});
    await this.space();
  }

  /** Stores `items` as one block of their own; resolves once it is stored, rejects if it was not. */
  async addBlock(items: readonly T[]): Promise<void> {
    if (!this.running) throw new Error('the receiver is stopped; the block was not stored');
    await this.options.rateLimiter.acquire(items.length, this.abort?.signal).catch(() => {});
    await this.space();
    return new Promise<void>((resolve, reject) => {
      this.enqueue({ block: this.newBlock(items), callbacks: [], done: { resolve, reject } });
    });
  }

  /** Seals what is buffered, stores every queued block, then stops. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort?.abort(new Error('block generator stopped'));
    this.seal();
    this.wakePusher?.();
    await this.pusher;
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  get queuedBlocks(): number {
    return this.queue.length;
  }

  private newBlock(items: readonly T[]): SealedBlock<T> {
    return {
      id: `${this.options.streamId}-${this.session}-${this.seq++}`,
      items,
      timeMs: this.options.clock.now(),
    };
  }

  private seal(): void {
    if (this.current.length === 0 && this.currentCallbacks.length === 0) return;
    const items = this.current;
    const callbacks = this.currentCallbacks;
    this.current = [];
    this.currentCallbacks = [];
    this.enqueue({ block: this.newBlock(items), callbacks });
  }

  private enqueue(entry: Queued<T>): void {
    this.queue.push(entry);
    this.wakePusher?.();
  }

  private space(): Promise<void> {
    if (this.queue.length < this.maxQueued || !this.running) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  private async sealLoop(signal: AbortSignal): Promise<void> {
    const { clock, blockIntervalMs } = this.options;
    let next = clock.now() + blockIntervalMs;
    while (!signal.aborted) {
      try {
        await clock.waitUntil(next, signal);
      } catch {
        return;
      }
      this.seal();
      next += blockIntervalMs;
      // After a long stall (a paused process), do not fire a burst of empty seals.
      if (next < clock.now()) next = clock.now() + blockIntervalMs;
    }
  }

  private async pushLoop(): Promise<void> {
    for (;;) {
      const entry = this.queue[0];
      if (!entry) {
        if (!this.running) return;
        await new Promise<void>((resolve) => {
          this.wakePusher = resolve;
        });
        this.wakePusher = undefined;
        continue;
      }
      try {
        await this.options.push(entry.block);
        for (const cb of entry.callbacks) {
          try {
            cb();
          } catch {
            // An acknowledgement callback that throws must not stop later blocks.
          }
        }
        entry.done?.resolve();
      } catch (error) {
        entry.done?.reject(error);
        this.options.onPushError(error, entry.block);
      }
      this.queue.shift();
      const waiter = this.spaceWaiters.shift();
      waiter?.();
    }
  }
}
