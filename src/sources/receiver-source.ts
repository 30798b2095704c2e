/**
 * receiverStream: an InputSource backed by a supervised Receiver. Each batch takes everything the
 * receiver stored since the previous batch, split into the context's default partitions.
 */
import type { InputBatch, InputContext, InputSource } from '../dstream/input-source.js';
import { RDD } from '../dstream/rdd.js';
import type { Receiver } from '../receiver/receiver.js';
import { ReceiverSupervisor } from '../receiver/receiver-supervisor.js';

export interface ReceiverStreamOptions {
  /** Delay before a receiver that asked to restart is started again; default 2000 ms (Spark's). */
  restartDelayMs?: number;
  numPartitions?: number;
}

export class ReceiverSource<T> implements InputSource<T> {
  private supervisor: ReceiverSupervisor<T> | undefined;
  private ctx: InputContext | undefined;

  constructor(
    readonly name: string,
    private readonly receiver: Receiver<T> & { readonly connected?: boolean },
    private readonly options: ReceiverStreamOptions = {},
  ) {}

  get connected(): boolean {
    return this.receiver.connected ?? true;
  }

  start(ctx: InputContext): void {
    this.ctx = ctx;
    this.supervisor = new ReceiverSupervisor(
      this.receiver,
      ctx.receiver,
      this.options.restartDelayMs ?? 2000,
    );
    this.supervisor.start();
  }

  generate(): InputBatch<T> {
    const ctx = this.ctx!;
    const items = this.supervisor?.takeBuffered() ?? [];
    const rdd = RDD.parallelize(ctx.rddEnv, items, this.options.numPartitions ?? ctx.defaultParallelism);
    return { rdd, numRecords: items.length };
  }

  /** Stops the receiver; what it stored stays buffered for the next batch. */
  stopReceiving(): void {
    this.supervisor?.stop('graceful stop: no new data, buffered data is still processed');
  }

  stop(): void {
    this.supervisor?.stop('context stopped');
  }
}
