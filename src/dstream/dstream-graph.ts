/**
 * DStreamGraph: the static template (module 1). It knows the input streams and the output
 * operations; per batch time it asks every output operation's stream to generate its RDD
 * (recursively through parents) and returns one Job per output operation whose RDD exists.
 */
import { SidestreamError } from '../errors.js';
import type { DStream } from './dstream.js';
import type { InputDStream } from './input-dstream.js';
import type { RDD } from './rdd.js';

/** A registered output operation (foreachRDD, print, saveAsTextFiles). */
export interface OutputOperation {
  readonly id: number;
  readonly name: string;
  readonly stream: DStream<unknown>;
  run(rdd: RDD<unknown>, batchTimeMs: number): Promise<void>;
}

/** One output operation's work for one batch. */
export interface Job {
  readonly outputOpId: number;
  readonly name: string;
  readonly batchTimeMs: number;
  run(): Promise<void>;
}

export class DStreamGraph {
  private readonly streams: DStream<unknown>[] = [];
  private readonly inputStreams: InputDStream<unknown>[] = [];
  private readonly outputOps: OutputOperation[] = [];
  private zeroTime: number | undefined;

  register(stream: DStream<unknown>): number {
    this.streams.push(stream);
    return this.streams.length - 1;
  }

  /** Input streams get their own ids, in declaration order: the `streamId` of batch records. */
  registerInput(stream: DStream<unknown>): number {
    this.inputStreams.push(stream as InputDStream<unknown>);
    return this.inputStreams.length - 1;
  }

  addOutput(make: (id: number) => OutputOperation): OutputOperation {
    const op = make(this.outputOps.length);
    this.outputOps.push(op);
    return op;
  }

  get inputs(): readonly InputDStream<unknown>[] {
    return this.inputStreams;
  }

  get outputs(): readonly OutputOperation[] {
    return this.outputOps;
  }

  get zeroTimeMs(): number | undefined {
    return this.zeroTime;
  }

  /**
   * Fixes the graph at `zeroTimeMs` (one batch interval before the first batch time, as in
   * Spark): validates it, sets every stream's zero time and how long each must remember its
   * RDDs, and persists the RDDs of any stream read by more than one child.
   */
  start(zeroTimeMs: number): void {
    if (this.outputOps.length === 0) {
      throw new SidestreamError(
        'SS_NO_OUTPUT_OPERATIONS',
        'the job declares no output operation, so nothing would run; add foreachRDD, print or saveAsTextFiles to a stream',
      );
    }
    this.zeroTime = zeroTimeMs;
    const children = new Map<DStream<unknown>, number>();
    for (const s of this.streams) for (const p of s.parents) children.set(p, (children.get(p) ?? 0) + 1);
    for (const op of this.outputOps) children.set(op.stream, (children.get(op.stream) ?? 0) + 1);
    for (const [stream, count] of children) if (count > 1) stream.persistRdds();
    for (const op of this.outputOps) op.stream.initialize(zeroTimeMs);
    for (const op of this.outputOps) op.stream.remember(op.stream.slideMs);
  }

  generateJobs(batchTimeMs: number): Job[] {
    const jobs: Job[] = [];
    for (const op of this.outputOps) {
      const rdd = op.stream.getOrCompute(batchTimeMs);
      if (!rdd) continue;
      jobs.push({ outputOpId: op.id, name: op.name, batchTimeMs, run: () => op.run(rdd, batchTimeMs) });
    }
    return jobs;
  }

  /**
   * The RDDs of stateful streams at `batchTimeMs`, generated now if no output needed them, to be
   * fully computed after the batch's output operations (see DStreamSpec.materialize).
   */
  stateToMaterialize(batchTimeMs: number): RDD<unknown>[] {
    const out: RDD<unknown>[] = [];
    for (const s of this.streams) {
      if (!s.materializeEachBatch) continue;
      const rdd = s.getOrCompute(batchTimeMs);
      if (rdd) out.push(rdd);
    }
    return out;
  }

  /** Forgets RDDs no stream needs any more once batch `batchTimeMs` has completed. */
  clearMetadata(batchTimeMs: number): void {
    for (const op of this.outputOps) op.stream.clearMetadata(batchTimeMs);
  }
}
