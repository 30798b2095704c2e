/**
 * DStream<T>: a template for one RDD per batch time (module 1). Declared once, before start; the
 * JobGenerator asks the output streams for their RDD at every batch time and each stream asks its
 * parents, recursively. A stream remembers the RDDs it generated for as long as some child may
 * still read them (windows read back in time; state streams read their previous batch).
 *
 * Every DStream is this one class with a compute strategy, so operators that need their own
 * logic (window, reduceByKeyAndWindow with an inverse, updateStateByKey, mapWithState) live in
 * files of their own without a circular import of a base class.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { SidestreamError } from '../errors.js';
import { formatDurationMs } from '../time.js';
import type { OutputOperation } from './dstream-graph.js';
import {
  type MapWithStateSpec,
  mapWithStateCompute,
  type StatePartition,
  statePartitionCodec,
} from './map-with-state.js';
import { RDD } from './rdd.js';
import { reducedWindowCompute } from './reduced-window.js';
import type { StreamingScope } from './scope.js';
import { updateStateCompute } from './update-state-by-key.js';
import { windowCompute } from './window.js';

/** Produces the stream's RDD for a valid batch time, or undefined when it has none. */
export type ComputeFn<T> = (timeMs: number, self: DStream<T>) => RDD<T> | undefined;

export interface DStreamSpec<T> {
  readonly name: string;
  readonly parents: readonly DStream<unknown>[];
  readonly slideMs: number;
  readonly compute: ComputeFn<T>;
  /** Extra time this stream's parents must remember beyond this stream's own (windows). */
  readonly parentRememberExtraMs?: number;
  /** Persist every generated RDD (state and window streams re-read them in later batches). */
  readonly persist?: boolean;
  /**
   * Stateful streams: generate and fully compute this stream's RDD every batch, after the output
   * operations. A state RDD whose partitions are all computed drops its lineage; without this an
   * output that reads only some partitions (print) would let the chain of state RDDs grow forever.
   * This is the job Spark's mandatory checkpoint of state streams does.
   */
  readonly materialize?: boolean;
  /**
   * How this stream's elements go into a metadata checkpoint and come back, when they are not
   * plain structured-cloneable data (mapWithState's StatePartition instances).
   */
  readonly checkpointCodec?: CheckpointCodec<T>;
}

/** Turns a stream's elements into structured-cloneable values for a checkpoint, and back. */
export interface CheckpointCodec<T> {
  encode(item: T): unknown;
  decode(value: unknown): T;
}

export interface ReduceByKeyAndWindowOptions<V> {
  /** Drops keys from the windowed state after the inverse is applied (Spark's filterFunc). */
  filter?: (kv: [unknown, V]) => boolean;
  numPartitions?: number;
}

export class DStream<T> {
  readonly id: number;
  readonly name: string;
  readonly slideMs: number;
  readonly parents: readonly DStream<unknown>[];

  private readonly computeFn: ComputeFn<T>;
  /** Extra time this stream's parents must remember beyond this stream's own (windows). */
  readonly parentRememberExtraMs: number;
  readonly checkpointCodec: CheckpointCodec<T> | undefined;
  private readonly generated = new Map<number, RDD<T>>();
  private persistGenerated: boolean;
  readonly materializeEachBatch: boolean;
  private zeroTime: number | undefined;
  private rememberMs = 0;

  constructor(
    readonly scope: StreamingScope,
    spec: DStreamSpec<T>,
  ) {
    scope.assertDeclarable(`declaring ${spec.name}`);
    this.name = spec.name;
    this.slideMs = spec.slideMs;
    this.parents = spec.parents;
    this.computeFn = spec.compute;
    this.parentRememberExtraMs = spec.parentRememberExtraMs ?? 0;
    this.materializeEachBatch = spec.materialize ?? false;
    this.checkpointCodec = spec.checkpointCodec;
    this.persistGenerated = (spec.persist ?? false) || this.materializeEachBatch;
    this.id = scope.graph.register(this as DStream<unknown>);
  }

  // ---- generation (called by the graph and by child streams) --------------------------------

  get zeroTimeMs(): number | undefined {
    return this.zeroTime;
  }

  initialize(zeroTimeMs: number): void {
    this.zeroTime = zeroTimeMs;
    if (this.rememberMs < this.slideMs) this.rememberMs = this.slideMs;
    for (const p of this.parents) p.initialize(zeroTimeMs);
  }

  remember(durationMs: number): void {
    if (durationMs > this.rememberMs) this.rememberMs = durationMs;
    for (const p of this.parents) p.remember(this.rememberMs + this.parentRememberExtraMs);
  }

  persistRdds(): void {
    this.persistGenerated = true;
  }

  /** True for times after the zero time that fall on this stream's slide. */
  isTimeValid(timeMs: number): boolean {
    const zero = this.zeroTime;
    return zero !== undefined && timeMs > zero && (timeMs - zero) % this.slideMs === 0;
  }

  /** The RDD for `timeMs`: remembered if already generated, computed (and remembered) if not. */
  getOrCompute(timeMs: number): RDD<T> | undefined {
    const known = this.generated.get(timeMs);
    if (known) return known;
    const zero = this.zeroTime;
    if (zero === undefined || !this.isTimeValid(timeMs)) return undefined;
    // Every RDD made while computing takes a stable name under this stream and time, so a
    // worker thread that generates the same batch finds the same RDD (docs/design/executors.md).
    const lineage = this.scope.rddEnv.lineage;
    const rdd = lineage
      ? lineage.within(`${this.id}@${timeMs}`, zero, () => this.computeFn(timeMs, this))
      : this.computeFn(timeMs, this);
    if (!rdd) return undefined;
    if (this.persistGenerated) rdd.persist();
    this.generated.set(timeMs, rdd);
    return rdd;
  }

  /** Hands this stream an RDD made outside the graph (input streams, at batch generation). */
  putGenerated(timeMs: number, rdd: RDD<T>): void {
    if (this.zeroTime !== undefined)
      rdd.markInput({ key: `${this.id}@${timeMs}#in`, zeroTimeMs: this.zeroTime });
    // An input read by several children (or a window) is kept once computed, as any stream.
    if (this.persistGenerated) rdd.persist();
    this.generated.set(timeMs, rdd);
  }

  /**
   * RDDs for every valid time in `[fromMs, toMs]`, both ends aligned down to this stream's slide
   * (Spark's slice). Times at or before the zero time yield nothing.
   */
  slice(fromMs: number, toMs: number): RDD<T>[] {
    const zero = this.zeroTime;
    if (zero === undefined)
      throw new SidestreamError('SS_CONTEXT_STATE', `${this.name}: slice before the context started`);
    const align = (t: number) => t - ((((t - zero) % this.slideMs) + this.slideMs) % this.slideMs);
    const out: RDD<T>[] = [];
    for (let t = align(fromMs); t <= align(toMs); t += this.slideMs) {
      const rdd = t > zero ? this.getOrCompute(t) : undefined;
      if (rdd) out.push(rdd);
    }
    return out;
  }

  clearMetadata(timeMs: number): void {
    const horizon = timeMs - this.rememberMs;
    for (const t of this.generated.keys()) if (t <= horizon) this.generated.delete(t);
    for (const p of this.parents) p.clearMetadata(timeMs);
  }

  /**
   * The RDDs a metadata checkpoint at `timeMs` must hold for this stream: every remembered one
   * at or before `timeMs` that a later batch may still read (newer ones belong to batches that
   * have not completed and are generated again on recovery).
   */
  rddsToCheckpoint(timeMs: number): [number, RDD<T>][] {
    const horizon = timeMs - this.rememberMs;
    return [...this.generated.entries()]
      .filter(([t]) => t > horizon && t <= timeMs)
      .sort((a, b) => a[0] - b[0]);
  }

  /** Puts back an RDD read from a checkpoint (recovery, before the first batch is generated). */
  restoreGenerated(timeMs: number, rdd: RDD<T>): void {
    rdd.persist();
    this.generated.set(timeMs, rdd);
  }

  /** Worker side: drops every generated RDD (each task regenerates what it needs). */
  forgetGenerated(): void {
    this.generated.clear();
  }

  /** Batch times this stream currently remembers (for tests and status). */
  rememberedTimes(): number[] {
    return [...this.generated.keys()].sort((a, b) => a - b);
  }

  // ---- helpers for operators ------------------------------------------------------------------

  private derived<U>(name: string, f: (rdd: RDD<T>, timeMs: number) => RDD<U>): DStream<U> {
    return new DStream<U>(this.scope, {
      name,
      parents: [this as DStream<unknown>],
      slideMs: this.slideMs,
      compute: (t) => {
        const rdd = this.getOrCompute(t);
        return rdd ? f(rdd, t) : undefined;
      },
    });
  }

  private checkMultiple(what: string, ms: number): void {
    if (!Number.isInteger(ms) || ms <= 0 || ms % this.slideMs !== 0) {
      const lower = Math.max(this.slideMs, Math.floor(ms / this.slideMs) * this.slideMs);
      const upper = lower === ms ? lower + this.slideMs : Math.ceil(ms / this.slideMs) * this.slideMs;
      throw new SidestreamError(
        'SS_WINDOW_NOT_MULTIPLE',
        `${what} ${formatDurationMs(ms)} is not a positive multiple of the ${this.name} stream's slide ` +
          `(${formatDurationMs(this.slideMs)}, the batch interval unless windowed); use ` +
          `${formatDurationMs(lower)} or ${formatDurationMs(upper)}`,
      );
    }
  }

  private checkSameSlide(op: string, others: readonly DStream<unknown>[]): void {
    for (const o of others) {
      if (o.slideMs !== this.slideMs) {
        throw new SidestreamError(
          'SS_SLIDE_MISMATCH',
          `${op}: streams slide every ${formatDurationMs(this.slideMs)} and ${formatDurationMs(o.slideMs)}; ` +
            'window them to the same slide first',
        );
      }
    }
  }

  // ---- transformations --------------------------------------------------------------------------

  map<U>(f: (x: T) => U): DStream<U> {
    return this.derived('map', (rdd) => rdd.map(f));
  }

  flatMap<U>(f: (x: T) => Iterable<U>): DStream<U> {
    return this.derived('flatMap', (rdd) => rdd.flatMap(f));
  }

  filter(f: (x: T) => boolean): DStream<T> {
    return this.derived('filter', (rdd) => rdd.filter(f));
  }

  mapPartitions<U>(f: (items: T[], partition: number) => Iterable<U>): DStream<U> {
    return this.derived('mapPartitions', (rdd) => rdd.mapPartitions(f));
  }

  /** Any RDD-to-RDD function, applied to every batch (Spark's transform). */
  transform<U>(f: (rdd: RDD<T>, batchTimeMs: number) => RDD<U>): DStream<U> {
    return this.derived('transform', f);
  }

  repartition(numPartitions: number): DStream<T> {
    return this.derived('repartition', (rdd) => rdd.repartition(numPartitions));
  }

  union(...others: DStream<T>[]): DStream<T> {
    this.checkSameSlide('union', others as DStream<unknown>[]);
    const all: DStream<T>[] = [this, ...others];
    return new DStream<T>(this.scope, {
      name: 'union',
      parents: all as DStream<unknown>[],
      slideMs: this.slideMs,
      compute: (t) => {
        const [first, ...rest] = all
          .map((s) => s.getOrCompute(t))
          .filter((r): r is RDD<T> => r !== undefined);
        return first?.union(...rest);
      },
    });
  }

  /**
   * Every RDD of the last `windowMs`, once every `slideMs` (default: this stream's slide). Both
   * must be multiples of this stream's slide; output times stay aligned to the context's start.
   */
  window(windowMs: number, slideMs: number = this.slideMs): DStream<T> {
    this.checkMultiple('window length', windowMs);
    this.checkMultiple('window slide', slideMs);
    this.persistRdds();
    return new DStream<T>(this.scope, {
      name: 'window',
      parents: [this as DStream<unknown>],
      slideMs,
      parentRememberExtraMs: windowMs,
      compute: windowCompute(this, windowMs),
    });
  }

  /** One element per batch: the number of elements (0 for an empty batch, as in Spark). */
  count(): DStream<number> {
    return this.map((): [null, number] => [null, 1])
      .transform((rdd) => rdd.union(RDD.fromPartitions<[null, number]>(rdd.env, [[[null, 0]]])))
      .reduceByKey((a, b) => a + b, 1)
      .map((kv) => kv[1]);
  }

  countByValue(numPartitions?: number): DStream<[T, number]> {
    return this.map((x): [T, number] => [x, 1]).reduceByKey((a, b) => a + b, numPartitions);
  }

  /** One element per non-empty batch: all elements reduced with `f`. */
  reduce(f: (a: T, b: T) => T): DStream<T> {
    return this.map((x): [null, T] => [null, x])
      .reduceByKey(f, 1)
      .map((kv) => kv[1]);
  }

  /**
   * Reduces every window. With `invF` the window is maintained incrementally (add what entered,
   * inverse-reduce what left), exactly like reduceByKeyAndWindow with an inverse.
   */
  reduceByWindow(
    f: (a: T, b: T) => T,
    windowMs: number,
    slideMs?: number,
    invF?: (a: T, b: T) => T,
  ): DStream<T> {
    if (!invF) return this.reduce(f).window(windowMs, slideMs).reduce(f);
    return this.map((x): [number, T] => [1, x])
      .reduceByKeyAndWindow(f, windowMs, slideMs, invF, { numPartitions: 1 })
      .map((kv) => kv[1]);
  }

  countByWindow(windowMs: number, slideMs?: number): DStream<number> {
    return this.map(() => 1).reduceByWindow(
      (a, b) => a + b,
      windowMs,
      slideMs,
      (a, b) => a - b,
    );
  }

  // ---- pair transformations (DStream<[K, V]>) ------------------------------------------------

  mapValues<K, V, W>(this: DStream<[K, V]>, f: (v: V) => W): DStream<[K, W]> {
    return this.derived('mapValues', (rdd) => rdd.mapValues(f));
  }

  reduceByKey<K, V>(this: DStream<[K, V]>, f: (a: V, b: V) => V, numPartitions?: number): DStream<[K, V]> {
    const n = numPartitions ?? this.scope.defaultParallelism;
    return this.derived('reduceByKey', (rdd) => rdd.reduceByKey(f, n));
  }

  groupByKey<K, V>(this: DStream<[K, V]>, numPartitions?: number): DStream<[K, V[]]> {
    const n = numPartitions ?? this.scope.defaultParallelism;
    return this.derived('groupByKey', (rdd) => rdd.groupByKey(n));
  }

  join<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number): DStream<[K, [V, W]]> {
    return this.joinWith('join', other, (a, b) => a.join(b, numPartitions ?? this.scope.defaultParallelism));
  }

  leftOuterJoin<K, V, W>(
    this: DStream<[K, V]>,
    other: DStream<[K, W]>,
    numPartitions?: number,
  ): DStream<[K, [V, W | undefined]]> {
    return this.joinWith('leftOuterJoin', other, (a, b) =>
      a.leftOuterJoin(b, numPartitions ?? this.scope.defaultParallelism),
    );
  }

  private joinWith<K, V, W, R>(
    this: DStream<[K, V]>,
    name: string,
    other: DStream<[K, W]>,
    f: (a: RDD<[K, V]>, b: RDD<[K, W]>) => RDD<R>,
  ): DStream<R> {
    this.checkSameSlide(name, [other as DStream<unknown>]);
    return new DStream<R>(this.scope, {
      name,
      parents: [this as DStream<unknown>, other as DStream<unknown>],
      slideMs: this.slideMs,
      compute: (t) => {
        const a = this.getOrCompute(t);
        const b = other.getOrCompute(t);
        if (!a || !b) return undefined;
        return f(a, b);
      },
    });
  }

  /**
   * Reduces values per key over a sliding window. Without `invF` each window is reduced from its
   * batches; with `invF` the previous window's result is updated (Spark's ReducedWindowedDStream):
   * keys whose value returns to the identity are KEPT unless `options.filter` drops them.
   */
  reduceByKeyAndWindow<K, V>(
    this: DStream<[K, V]>,
    f: (a: V, b: V) => V,
    windowMs: number,
    slideMs: number = this.slideMs,
    invF?: (a: V, b: V) => V,
    options: ReduceByKeyAndWindowOptions<V> = {},
  ): DStream<[K, V]> {
    const n = options.numPartitions ?? this.scope.defaultParallelism;
    if (!invF) return this.reduceByKey(f, n).window(windowMs, slideMs).reduceByKey(f, n);
    this.checkMultiple('window length', windowMs);
    this.checkMultiple('window slide', slideMs);
    const reduced = this.reduceByKey(f, n);
    reduced.persistRdds();
    return new DStream<[K, V]>(this.scope, {
      name: 'reduceByKeyAndWindow',
      parents: [reduced as DStream<unknown>],
      slideMs,
      parentRememberExtraMs: windowMs,
      materialize: true,
      compute: reducedWindowCompute(reduced, windowMs, slideMs, f, invF, options.filter, n),
    });
  }

  /**
   * Keeps a state per key across batches. `update(newValues, state)` runs for every key that has
   * new values or a state; returning undefined removes the key (Spark's updateStateByKey).
   */
  updateStateByKey<K, V, S>(
    this: DStream<[K, V]>,
    update: (values: V[], state: S | undefined) => S | undefined,
    numPartitions?: number,
  ): DStream<[K, S]> {
    const n = numPartitions ?? this.scope.defaultParallelism;
    return new DStream<[K, S]>(this.scope, {
      name: 'updateStateByKey',
      parents: [this as DStream<unknown>],
      slideMs: this.slideMs,
      materialize: true,
      compute: updateStateCompute(this, update, n),
    });
  }

  /**
   * Spark's mapWithState: `spec.update(key, value, state)` runs for each new record, in order,
   * and for each key idle past `spec.timeoutMs` (value undefined, state.isTimingOut() true).
   * The stream carries what update returns; `stateSnapshots()` carries every key's state.
   */
  mapWithState<K, V, S, M>(
    this: DStream<[K, V]>,
    spec: MapWithStateSpec<K, V, S, M>,
  ): DStream<M> & { stateSnapshots(): DStream<[K, S]> } {
    const n = spec.numPartitions ?? this.scope.defaultParallelism;
    const internal = new DStream(this.scope, {
      name: 'mapWithState',
      parents: [this as DStream<unknown>],
      slideMs: this.slideMs,
      materialize: true,
      compute: mapWithStateCompute(this, spec, n),
      checkpointCodec: statePartitionCodec as unknown as CheckpointCodec<StatePartition<K, S, M>>,
    });
    const mapped = internal.flatMap((p) => p.mapped);
    const snapshots = internal.flatMap((p) => p.snapshot());
    return Object.assign(mapped, { stateSnapshots: () => snapshots });
  }

  // ---- output operations ----------------------------------------------------------------------

  private addOutput(name: string, run: (rdd: RDD<T>, batchTimeMs: number) => Promise<void>): void {
    this.scope.assertDeclarable(`adding ${name}`);
    this.scope.graph.addOutput(
      (id): OutputOperation => ({
        id,
        name,
        stream: this as DStream<unknown>,
        run: run as OutputOperation['run'],
      }),
    );
  }

  /**
   * Runs `fn` with each batch's RDD. `fn` runs once per batch (like Spark's driver-side
   * function); the RDD actions it calls run as tasks, one per partition, with retries.
   */
  foreachRDD(fn: (rdd: RDD<T>, batchTimeMs: number) => void | Promise<void>): void {
    this.addOutput('foreachRDD', async (rdd, t) => {
      await fn(rdd, t);
    });
  }

  /** Prints the first `n` elements of every batch under a header with its time, as Spark does. */
  print(n = 10): void {
    this.addOutput('print', async (rdd, t) => {
      const first = await rdd.take(n + 1);
      const rule = '-------------------------------------------';
      const lines = [rule, `Time: ${t} ms`, rule, ...first.slice(0, n).map(show)];
      if (first.length > n) lines.push('...');
      this.scope.writeOutput(`${lines.join('\n')}\n\n`);
    });
  }

  /**
   * Writes each batch to the directory `<prefix>-<batchTimeMs>[.<suffix>]`, one `part-NNNNN` file
   * per partition (each written by its task, atomically by rename) and `_SUCCESS` last. The
   * files are the job's output, meant for other programs, so their modes follow the umask like
   * any file the job writes itself, not the 0600 of the agent's own files (docs/security.md).
   */
  saveAsTextFiles(prefix: string, suffix?: string): void {
    this.addOutput('saveAsTextFiles', async (rdd, t) => {
      const dir = `${prefix}-${t}${suffix ? `.${suffix}` : ''}`;
      await mkdir(dir, { recursive: true });
      await rdd.foreachPartition(async (items, p) => {
        const file = joinPath(dir, `part-${String(p).padStart(5, '0')}`);
        const text = items.map((x) => `${show(x)}\n`).join('');
        await writeFile(`${file}.tmp`, text);
        await rename(`${file}.tmp`, file);
      });
      await writeFile(joinPath(dir, '_SUCCESS'), '');
    });
  }
}

function show(x: unknown): string {
  return typeof x === 'string' ? x : JSON.stringify(x);
}
