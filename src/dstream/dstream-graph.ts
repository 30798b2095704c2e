/**
 * DStreamGraph: the static template (module 1). It knows the input streams and the output
 * operations; per batch time it asks every output operation's stream to generate its RDD
 * (recursively through parents) and returns one Job per output operation whose RDD exists.
 */
import { SidestreamError } from '../errors.js';
import type { StreamCheckpoint } from '../state/checkpoint-store.js';
import type { DStream } from './dstream.js';
import type { InputDStream } from './input-dstream.js';
import { RDD, type RddEnv } from './rdd.js';

/** RDDs picked for a checkpoint, captured in one synchronous step (see captureCheckpoint). */
export interface CapturedStream {
  readonly key: string;
  readonly stream: DStream<unknown>;
  readonly rdds: readonly [number, RDD<unknown>][];
}

/** What restoring a checkpoint into this graph did, by stream key. */
export interface RestoreReport {
  readonly restored: readonly string[];
  /** Streams in the checkpoint that this graph does not have (a changed job): their data is dropped. */
  readonly dropped: readonly string[];
  /** Streams of this graph that need checkpointed data but found none: they start empty. */
  readonly empty: readonly string[];
}

/** A stream's stable identity across runs of the same job: creation index + operator name. */
export function streamKey(stream: DStream<unknown>): string {
  return `${stream.id}:${stream.name}`;
}

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
  /** Set when metadata checkpoints are written: window parents are then materialized per batch too. */
  checkpointing = false;

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

  /** The stream with this index (DStream.id), as declared. */
  streamById(id: number): DStream<unknown> | undefined {
    return this.streams[id];
  }

  /** Worker side: forgets every stream's generated RDDs. */
  forgetGenerated(): void {
    for (const s of this.streams) s.forgetGenerated();
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
    const windowParents = this.checkpointing ? this.windowParents() : new Set<DStream<unknown>>();
    for (const s of this.streams) {
      if (!s.materializeEachBatch && !windowParents.has(s)) continue;
      const rdd = s.getOrCompute(batchTimeMs);
      if (rdd) out.push(rdd);
    }
    return out;
  }

  /** Streams read back in time by a window: their RDDs within the window go into checkpoints. */
  private windowParents(): Set<DStream<unknown>> {
    const out = new Set<DStream<unknown>>();
    for (const s of this.streams) if (s.parentRememberExtraMs > 0) for (const p of s.parents) out.add(p);
    return out;
  }

  /**
   * Streams whose remembered RDDs a metadata checkpoint holds: stateful streams (updateStateByKey,
   * mapWithState, reduceByKeyAndWindow with an inverse: each reads its own previous RDD) and the
   * parents of windowed streams (read back over the window). Every other stream is recomputed.
   */
  checkpointedStreams(): DStream<unknown>[] {
    const windowParents = this.windowParents();
    return this.streams.filter((s) => s.materializeEachBatch || windowParents.has(s));
  }

  /**
   * The RDDs a checkpoint of completed batch `batchTimeMs` holds. Synchronous on purpose: it
   * never interleaves with the generator's loop, which adds and forgets RDDs.
   */
  captureCheckpoint(batchTimeMs: number): CapturedStream[] {
    return this.checkpointedStreams().map((stream) => ({
      key: streamKey(stream),
      stream,
      rdds: stream.rddsToCheckpoint(batchTimeMs),
    }));
  }

  /** Computes (cache hits, normally) the captured RDDs' partitions into checkpointable data. */
  static async materializeCheckpoint(captured: readonly CapturedStream[]): Promise<StreamCheckpoint[]> {
    const out: StreamCheckpoint[] = [];
    for (const { key, stream, rdds } of captured) {
      const codec = stream.checkpointCodec;
      const saved: { timeMs: number; partitions: unknown[][] }[] = [];
      for (const [timeMs, rdd] of rdds) {
        const partitions = await rdd.runJob('checkpoint', (items) =>
          codec ? items.map((x) => codec.encode(x)) : items,
        );
        saved.push({ timeMs, partitions });
      }
      out.push({ key, rdds: saved });
    }
    return out;
  }

  /**
   * Puts a checkpoint's RDDs back into the streams with the same key. Call after start() fixed
   * the zero time and before the first batch is generated.
   */
  restoreCheckpoint(streams: readonly StreamCheckpoint[], env: RddEnv): RestoreReport {
    const byKey = new Map(this.checkpointedStreams().map((s) => [streamKey(s), s] as const));
    const restored: string[] = [];
    const dropped: string[] = [];
    for (const saved of streams) {
      const stream = byKey.get(saved.key);
      if (!stream) {
        dropped.push(saved.key);
        continue;
      }
      byKey.delete(saved.key);
      const codec = stream.checkpointCodec;
      for (const { timeMs, partitions } of saved.rdds) {
        const parts = codec ? partitions.map((p) => p.map((x) => codec.decode(x))) : partitions;
        stream.restoreGenerated(timeMs, RDD.fromPartitions(env, parts, `checkpoint of ${saved.key}`));
      }
      restored.push(saved.key);
    }
    return { restored, dropped, empty: [...byKey.keys()] };
  }

  /** Forgets RDDs no stream needs any more once batch `batchTimeMs` has completed. */
  clearMetadata(batchTimeMs: number): void {
    for (const op of this.outputOps) op.stream.clearMetadata(batchTimeMs);
  }
}
