/**
 * receiverStream: an InputSource backed by a supervised Receiver (module 3's ingestion path).
 * Stored records become blocks (BlockGenerator); each block is stored by a block handler (memory,
 * or the receiver data write-ahead log when the context has a checkpoint directory) and journalled
 * by the ReceivedBlockTracker BEFORE the receiver's acknowledgement callbacks run. Each batch is
 * allocated the blocks stored since the previous one; after a restart, allocated-but-unfinished
 * batches get exactly their old blocks again and stored-but-unallocated blocks go to the next one.
 */
import type { InputBatch, InputContext, InputSource } from '../dstream/input-source.js';
import { RDD } from '../dstream/rdd.js';
import { describeError } from '../errors.js';
import type { SealedBlock } from '../receiver/block-generator.js';
import { type BlockHandler, MemoryBlockHandler } from '../receiver/block-handler.js';
import { describeJournalRecovery } from '../receiver/journal-recovery.js';
import { RateLimiter } from '../receiver/rate-limiter.js';
import { BLOCK_JOURNAL_OPTIONS, ReceivedBlockTracker } from '../receiver/received-block-tracker.js';
import type { Receiver } from '../receiver/receiver.js';
import { ReceiverSupervisor } from '../receiver/receiver-supervisor.js';
import { WalBlockHandler } from '../receiver/wal-block-handler.js';

export interface ReceiverStreamOptions<T = unknown> {
  /** First delay before a receiver that asked to restart is started again; default 2000 ms (Spark's). */
  restartDelayMs?: number;
  /** Upper bound of the doubling restart backoff; default 30 s. */
  maxRestartDelayMs?: number;
  numPartitions?: number;
  /** How often stored records are sealed into a block; default 200 ms (Spark's). */
  blockIntervalMs?: number;
  /** Sealed blocks waiting to be stored before the receiver is held back; default 10. */
  maxQueuedBlocks?: number;
  /** Upper bound on records per second taken in (backpressure may lower it further). */
  maxRatePerSec?: number;
  /**
   * Write every block to the write-ahead log before acknowledging it; default true when the
   * context has a checkpoint directory (without one there is nowhere durable to write).
   * false keeps blocks in memory only: a crash loses what was received but not yet processed.
   */
  writeAheadLog?: boolean;
  /** Event time (epoch ms) of a record, for event-time lag. */
  eventTime?: (item: T) => number;
}

export class ReceiverSource<T> implements InputSource<T> {
  private supervisor: ReceiverSupervisor<T> | undefined;
  private tracker: ReceivedBlockTracker | undefined;
  private handler: BlockHandler<T> | undefined;
  private ctx: InputContext | undefined;
  private limiter: RateLimiter | undefined;
  /** Write time of the block being stored right now (written, not yet journalled). */
  private inFlightSinceMs: number | undefined;

  constructor(
    readonly name: string,
    /** Public for checks that describe what a declared input reads from (kafka-input-target.ts). */
    readonly receiver: Receiver<T> & { readonly connected?: boolean },
    private readonly options: ReceiverStreamOptions<T> = {},
    /** Backpressure's current rate bound, polled each batch. */
    private readonly rate: () => number | undefined = () => undefined,
  ) {
    const positive = (v: number | undefined, what: string) => {
      if (v !== undefined && !(v > 0)) throw new RangeError(`${what} must be > 0 (got ${v})`);
    };
    positive(options.blockIntervalMs, 'blockIntervalMs');
    positive(options.maxRatePerSec, 'maxRatePerSec');
  }

  /**
   * Connected while the receiver runs and, if it reports its connection, says it is connected
   * (ReceiverConnection); a restarting or stopped receiver is not. A receiver that only has a
   * `connected` getter of its own is read too.
   */
  get connected(): boolean {
    return this.connection().connected;
  }

  get disconnectedReason(): string | undefined {
    return this.connection().reason;
  }

  get lastResponseMs(): number | undefined {
    return this.supervisor?.lastResponseMs;
  }

  private connection(): { connected: boolean; reason?: string } {
    const supervised = this.supervisor?.connectionState ?? { connected: false, reason: 'not started' };
    if (supervised.connected && this.receiver.connected === false)
      return { connected: false, reason: 'the receiver reports it is not connected' };
    return supervised;
  }

  /** Whether acknowledged blocks survive a crash (the write-ahead log is on). */
  get durable(): boolean {
    return this.handler?.durable ?? false;
  }

  async start(ctx: InputContext): Promise<void> {
    this.ctx = ctx;
    const dir = `receivers/stream-${ctx.streamId}`;
    const useWal = this.options.writeAheadLog !== false && ctx.openWriteAheadLog !== undefined;
    if (this.options.writeAheadLog === true && !ctx.openWriteAheadLog) {
      throw new RangeError(
        `${this.name}: writeAheadLog needs a checkpoint directory; set checkpointDir (--checkpoint-dir)`,
      );
    }
    if (useWal && ctx.openWriteAheadLog) {
      const handler = new WalBlockHandler<T>(
        await ctx.openWriteAheadLog(`${dir}/data`, 'receiver-data'),
        ctx.streamId,
      );
      this.handler = handler;
      const journal = await ctx.openWriteAheadLog(`${dir}/journal`, 'block-journal', BLOCK_JOURNAL_OPTIONS);
      // The journal is checked against the data log, so a block whose journal entry was lost to
      // damage is still replayed when its data survived (docs/receivers.md).
      this.tracker = await ReceivedBlockTracker.recover(journal, ctx.clock, await handler.storedBlocks());
      const message = describeJournalRecovery(this.tracker.recovery);
      if (message !== undefined) {
        ctx.report({
          type: 'input-error',
          streamId: ctx.streamId,
          stream: this.name,
          operation: 'recover',
          message,
        });
      }
    } else {
      this.handler = new MemoryBlockHandler<T>();
      this.tracker = await ReceivedBlockTracker.recover(undefined, ctx.clock);
    }
    this.limiter = new RateLimiter(ctx.clock, this.options.maxRatePerSec);
    this.supervisor = new ReceiverSupervisor(this.receiver, {
      streamId: ctx.streamId,
      name: this.name,
      clock: ctx.clock,
      events: ctx.events,
      rateLimiter: this.limiter,
      blockIntervalMs: this.options.blockIntervalMs ?? 200,
      restartDelayMs: this.options.restartDelayMs ?? 2000,
      ...(this.options.maxRestartDelayMs === undefined
        ? {}
        : { maxRestartDelayMs: this.options.maxRestartDelayMs }),
      ...(this.options.maxQueuedBlocks === undefined
        ? {}
        : { maxQueuedBlocks: this.options.maxQueuedBlocks }),
      storeBlock: (block) => this.storeBlock(block),
    });
    this.supervisor.start();
  }

  /** What start() set up; blocks are only stored and batches only generated after it. */
  private started(): { ctx: InputContext; handler: BlockHandler<T>; tracker: ReceivedBlockTracker } {
    const { ctx, handler, tracker } = this;
    if (!ctx || !handler || !tracker) throw new Error(`${this.name}: the source was used before start()`);
    return { ctx, handler, tracker };
  }

  private async storeBlock(block: SealedBlock<T>): Promise<void> {
    const { ctx, handler, tracker } = this.started();
    // Tagged with the write time, not the seal time: a block written after a checkpoint must
    // never look older than it when old log segments are cleaned.
    const now = ctx.clock.now();
    this.inFlightSinceMs = now;
    let bytes = 0;
    try {
      const stored = await handler.store(block.id, block.items, now);
      await tracker.addBlock({
        id: block.id,
        streamId: ctx.streamId,
        numRecords: block.items.length,
        bytes: stored.bytes,
        timeMs: now,
        ...(stored.ref ? { ref: stored.ref } : {}),
      });
      bytes = stored.bytes;
    } finally {
      this.inFlightSinceMs = undefined;
    }
    ctx.events.post('onBlockStored', {
      streamId: ctx.streamId,
      name: this.name,
      numRecords: block.items.length,
      bytes,
      durable: handler.durable,
    });
  }

  recoveredBatchTimes(): readonly number[] {
    return this.tracker?.recoveredBatchTimes() ?? [];
  }

  async generate(batchTimeMs: number): Promise<InputBatch<T>> {
    const { ctx, handler, tracker } = this.started();
    const rate = this.rate();
    const max = this.options.maxRatePerSec;
    this.limiter?.setRate(rate === undefined ? max : max === undefined ? rate : Math.min(rate, max));
    const blocks = await tracker.allocate(batchTimeMs);
    const items: T[] = [];
    for (const block of blocks) {
      let data: readonly T[];
      try {
        data = await handler.read(block);
      } catch (error) {
        // Only damage after the fact (a flipped bit in a segment) gets here: a block is journalled
        // only once its data is durable. Report the loss and go on rather than stop every batch.
        ctx.report({
          type: 'input-error',
          streamId: ctx.streamId,
          stream: this.name,
          operation: 'read',
          message: `block ${block.id} (${block.numRecords} records) could not be read back and is skipped: ${describeError(error)}`,
        });
        continue;
      } finally {
        handler.forget(block.id);
      }
      for (const x of data) items.push(x);
    }
    const rdd = RDD.parallelize(ctx.rddEnv, items, this.options.numPartitions ?? ctx.defaultParallelism);
    const eventTime = this.options.eventTime;
    return {
      rdd,
      numRecords: items.length,
      ...(eventTime ? { eventTimesMs: items.map((x) => eventTime(x)) } : {}),
    };
  }

  /** The batch's outputs succeeded: a restart must not run its blocks again. */
  async commit(batchTimeMs: number): Promise<void> {
    await this.tracker?.complete(batchTimeMs);
  }

  async checkpointed(_batchTimeMs: number, cleanBeforeMs: number): Promise<void> {
    const tracker = this.tracker;
    if (!tracker) return;
    // Data segments may hold blocks not yet allocated (or allocated to an unfinished batch, or
    // being stored right now) that are older than the checkpoint's horizon: the tracker keeps
    // everything from the oldest such block on, and says so in its journal.
    const threshold = await tracker.clean(cleanBeforeMs, this.inFlightSinceMs);
    await this.handler?.clean(threshold);
  }

  /** Stops the receiver and stores what it had handed over; stored data stays for the next batch. */
  async stopReceiving(): Promise<void> {
    await this.supervisor?.stop('graceful stop: no new data, buffered data is still processed');
  }

  async stop(): Promise<void> {
    await this.supervisor?.stop('context stopped');
    await this.tracker?.close();
    await this.handler?.close();
  }
}
