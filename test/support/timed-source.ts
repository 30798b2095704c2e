/**
 * A deterministic, replayable input for recovery tests: a batch's records are a function of its
 * batch time, so generating a batch again after a restart gives exactly the same input (as a
 * direct Kafka stream's offset log does). Records every call the engine makes on it.
 */
import { type InputBatch, type InputContext, type InputSource, RDD } from '../../src/index.js';

export class TimedSource<T> implements InputSource<T> {
  readonly name = 'timed';
  readonly generated: number[] = [];
  readonly committed: number[] = [];
  readonly checkpoints: [number, number][] = [];
  recoveringFrom: number | undefined;
  private ctx: InputContext | undefined;

  constructor(
    private readonly records: (batchTimeMs: number) => T[],
    private readonly recovered: readonly number[] = [],
  ) {}

  start(ctx: InputContext): void {
    this.ctx = ctx;
    this.recoveringFrom = ctx.recoveringFromCheckpointMs;
  }

  generate(batchTimeMs: number): InputBatch<T> {
    this.generated.push(batchTimeMs);
    const items = this.records(batchTimeMs);
    return { rdd: RDD.parallelize(this.ctx!.rddEnv, items, 2), numRecords: items.length };
  }

  commit(batchTimeMs: number): void {
    this.committed.push(batchTimeMs);
  }

  recoveredBatchTimes(): readonly number[] {
    return this.recovered;
  }

  checkpointed(batchTimeMs: number, cleanBeforeMs: number): void {
    this.checkpoints.push([batchTimeMs, cleanBeforeMs]);
  }

  stop(): void {}
}
