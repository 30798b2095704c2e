/**
 * queueStream: one array per batch, taken from the front of a queue the caller may keep pushing
 * to after start (Spark's queueStream with oneAtATime). An empty queue gives an empty batch.
 */
import {
  collectTraceparents,
  type InputBatch,
  type InputContext,
  type InputSource,
} from '../dstream/input-source.js';
import { RDD } from '../dstream/rdd.js';
import { startedContext } from './started-context.js';

export interface QueueStreamOptions<T> {
  /** Partitions per batch; default: the context's defaultParallelism. */
  numPartitions?: number;
  /** Event time of a record (epoch ms), for event-time lag. */
  eventTime?: (record: T) => number;
}

export class QueueSource<T> implements InputSource<T> {
  readonly name = 'queue';
  private ctx: InputContext | undefined;

  constructor(
    private readonly queue: T[][],
    private readonly options: QueueStreamOptions<T> = {},
  ) {}

  start(ctx: InputContext): void {
    this.ctx = ctx;
  }

  generate(): InputBatch<T> {
    const ctx = startedContext(this.ctx, this.name);
    const items = this.queue.shift() ?? [];
    const rdd = RDD.parallelize(ctx.rddEnv, items, this.options.numPartitions ?? ctx.defaultParallelism);
    const extract = this.options.eventTime;
    // Records shaped like Kafka records (`headers.traceparent`) link the batch span to their traces.
    const traceparents = collectTraceparents(items);
    return {
      rdd,
      numRecords: items.length,
      ...(extract ? { eventTimesMs: Float64Array.from(items, extract) } : {}),
      ...(traceparents ? { traceparents } : {}),
    };
  }

  stop(): void {}
}
