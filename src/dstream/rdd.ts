/**
 * RDD<T>: one batch's data, split into partitions, computed lazily. A DStream generates one RDD
 * per batch time (module 1); output operations run RDD actions, and every action runs one task
 * per partition through the TaskRunner (module 2), which owns retries.
 *
 * Narrow transformations (map, filter, flatMap, ...) are fused: computing a partition pushes each
 * element through the whole chain of functions inside one task, without an intermediate array per
 * step. Shuffles (reduceByKey, groupByKey, join, repartition) are stage boundaries: their map side
 * runs as tasks over the parent's partitions, combining by key before anything is bucketed, and
 * their reduce side is read by the child's tasks.
 */
import type { OffsetRange } from '../topic-partition.js';
import { type KeyId, keyIdOf, partitionOf } from './keys.js';
import {
  directTaskRunner,
  type LineageId,
  type RemoteInput,
  type RemoteOp,
  type RemoteSideOutput,
  type RemoteStage,
  type TaskRunner,
} from './task-runner.js';

/**
 * An input RDD whose partitions a worker's own copy of the source can read (a Kafka offset
 * range), instead of the driver reading them to ship the records (see docs/design/executors.md).
 */
export interface RemoteRead {
  /** Driver, per attempt: what reading partition `p` takes, structured-cloneable. Throws when it cannot be read now. */
  describe(p: number): unknown;
  /** Driver, after the worker succeeded: what an in-process read of `p` would have done besides yielding records. */
  accept(p: number, sideOutput: unknown): Promise<void>;
}

/** Input RDDs with a RemoteRead, by lineage key: where a remote task's side outputs go. */
type ReadLeaves = Map<string, RDD<unknown>>;

async function acceptSideOutputs(leaves: ReadLeaves, outputs: readonly RemoteSideOutput[]): Promise<void> {
  for (const out of outputs) {
    const leaf = leaves.get(out.key);
    if (!leaf?.remoteRead) throw new Error(`no input RDD ${out.key} for a remote read's side output`);
    await leaf.remoteRead.accept(out.partition, out.data);
  }
}

export type Sink<T> = (item: T) => void;
type IterateFn<T> = (partition: number, sink: Sink<T>) => void | Promise<void>;

/** Where an RDD runs its tasks and gets its id; one per StreamingContext. */
export interface RddEnv {
  readonly tasks: TaskRunner;
  nextRddId(): number;
  /** Names RDDs made while a stream computes a batch, so another thread can find them again. */
  readonly lineage?: Lineage;
}

/**
 * Stable RDD identities (LineageId). A DStream computes its batch RDD inside `within`, and every
 * RDD constructed meanwhile takes the next ordinal under that stream and time. The compute
 * functions are deterministic in structure, so a worker that declares the same graph and
 * generates the same batch gets the same keys. With `track`, every keyed RDD is kept by key
 * (worker side, cleared after each task).
 */
export class Lineage {
  private readonly stack: { prefix: string; zeroTimeMs: number; n: number }[] = [];
  readonly registry: Map<string, RDD<unknown>> | undefined;

  constructor(track = false) {
    this.registry = track ? new Map() : undefined;
  }

  within<R>(prefix: string, zeroTimeMs: number, f: () => R): R {
    this.stack.push({ prefix, zeroTimeMs, n: 0 });
    try {
      return f();
    } finally {
      this.stack.pop();
    }
  }

  next(): LineageId | undefined {
    const top = this.stack[this.stack.length - 1];
    if (!top) return undefined;
    return { key: `${top.prefix}#${top.n++}`, zeroTimeMs: top.zeroTimeMs };
  }

  register(rdd: RDD<unknown>): void {
    if (rdd.lineage) this.registry?.set(rdd.lineage.key, rdd);
  }
}

let standaloneIds = 0;
/** An environment for RDDs built outside a streaming context (tests, tools): no retries. */
export const standaloneRddEnv: RddEnv = { tasks: directTaskRunner, nextRddId: () => ++standaloneIds };

export interface Partition {
  readonly index: number;
}

/** A shuffle boundary. `run` computes the map side as tasks; afterwards the child reads buckets. */
interface ShuffleDependency {
  readonly parent: RDD<unknown>;
  readonly done: boolean;
  /** The reduce-side RDD, set once it is constructed (its lineage names the shuffle). */
  owner?: RDD<unknown>;
  run(): Promise<void>;
  /** One map task: the parent's partition combined and bucketed. */
  mapTask(partition: number): unknown;
  /** Driver side: the map outputs reduce partition `j` reads. */
  bucket(j: number): unknown[];
  /** Worker side: installs the map outputs reduce partition `j` reads. */
  provide(j: number, outputs: readonly unknown[]): void;
}

interface InputShape {
  readonly key: string;
  readonly numPartitions: number;
  readonly timeMs: number;
}

function batchTimeOf(key: string): number {
  return Number(key.slice(key.indexOf('@') + 1, key.indexOf('#')));
}

/** Union by key, keeping only the newest batch time (a state or window RDD reads older ones). */
function mergeInputShapes(lists: readonly (readonly InputShape[])[]): readonly InputShape[] {
  if (lists.length === 1) return lists[0]!;
  let newest = Number.NEGATIVE_INFINITY;
  for (const list of lists) for (const shape of list) if (shape.timeMs > newest) newest = shape.timeMs;
  const out = new Map<string, InputShape>();
  for (const list of lists) for (const shape of list) if (shape.timeMs === newest) out.set(shape.key, shape);
  return [...out.values()];
}

function shuffleRemote(shuffle: ShuffleDependency, index: number): RemoteStage | undefined {
  const owner = shuffle.owner;
  if (!owner?.lineage) return undefined;
  const leaves: ReadLeaves = new Map();
  return {
    op: 'shuffle-map',
    rdd: owner.lineage,
    shape: { name: owner.name, numPartitions: owner.numPartitions },
    shuffleIndex: index,
    inputs: (p) => shuffle.parent.remoteInputs(p, leaves),
    acceptSideOutputs: (outputs) => acceptSideOutputs(leaves, outputs),
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function then(result: void | Promise<void>, next: () => void): void | Promise<void> {
  if (result instanceof Promise) return result.then(next);
  next();
}

export class RDD<T> {
  readonly id: number;
  readonly name: string;
  readonly partitions: readonly Partition[];
  /** Kafka-backed RDDs: the exact `[from, until)` range each partition reads. Empty otherwise. */
  offsetRanges: readonly OffsetRange[] = [];
  /** The stable identity of RDDs generated by a stream (undefined for RDDs made in output code). */
  lineage: LineageId | undefined;
  /** Set on the RDD an input stream was handed for a batch: a leaf whose data is shipped. */
  private isInput = false;
  /**
   * True for parallelize/fromPartitions: computing a partition only reads memory, so the driver
   * may read an input partition to ship it. Any other input (a Kafka range read) is never
   * computed just to find out: an async read has side effects (dead letters, event times).
   */
  private inMemory = false;
  /** Set by a source whose partitions a worker can read itself (see RemoteRead). */
  remoteRead: RemoteRead | undefined;
  /**
   * The input RDDs of the newest batch time this RDD descends from, with their partition counts.
   * Computed at construction, so it survives lineage truncation by persist (a worker still needs
   * every input to regenerate the batch).
   */
  private inputShapes: readonly InputShape[];

  private iterateFn: IterateFn<T>;
  private narrowParents: RDD<unknown>[];
  private shuffles: ShuffleDependency[];
  /** Which parent partitions partition `p` reads (narrow dependencies). */
  private parentPartitions: (p: number) => [RDD<unknown>, number][];
  private cache: (T[] | undefined)[] | undefined;

  constructor(
    readonly env: RddEnv,
    numPartitions: number,
    iterate: IterateFn<T>,
    name: string,
    deps: {
      narrow?: RDD<unknown>[];
      shuffles?: ShuffleDependency[];
      parentPartitions?: (p: number) => [RDD<unknown>, number][];
    } = {},
  ) {
    this.id = env.nextRddId();
    this.lineage = env.lineage?.next();
    env.lineage?.register(this as RDD<unknown>);
    this.name = name;
    this.partitions = range(numPartitions).map((index) => ({ index }));
    this.iterateFn = iterate;
    this.narrowParents = deps.narrow ?? [];
    this.shuffles = deps.shuffles ?? [];
    for (const shuffle of this.shuffles) shuffle.owner ??= this as RDD<unknown>;
    this.inputShapes = mergeInputShapes([
      ...this.narrowParents.map((r) => r.inputShapes),
      ...this.shuffles.map((sh) => sh.parent.inputShapes),
    ]);
    this.parentPartitions =
      deps.parentPartitions ?? ((p) => this.narrowParents.map((r): [RDD<unknown>, number] => [r, p]));
  }

  /** Marks the RDD an input stream holds for a batch (see DStream.putGenerated). */
  markInput(lineage: LineageId): void {
    this.isInput = true;
    this.lineage ??= lineage;
    this.inputShapes = [
      { key: this.lineage.key, numPartitions: this.numPartitions, timeMs: batchTimeOf(this.lineage.key) },
    ];
    this.env.lineage?.register(this as RDD<unknown>);
  }

  /**
   * Driver side: the data a worker needs to compute partition `p` of this RDD after rebuilding
   * its lineage, or undefined when some part of the lineage cannot be rebuilt in a worker
   * (an RDD made outside a stream's compute, a persisted RDD, an input read asynchronously).
   */
  remoteInputs(p: number, leaves?: ReadLeaves): RemoteInput[] | undefined {
    const inputs = new Map<string, { numPartitions: number; partitions: Record<number, unknown[]> }>();
    const reads = new Map<string, { numPartitions: number; reads: Record<number, unknown> }>();
    const shuffles: RemoteInput[] = [];
    const visit = (rdd: RDD<unknown>, q: number): boolean => {
      if (!rdd.lineage) return false;
      if (rdd.isInput && rdd.remoteRead && leaves) {
        let entry = reads.get(rdd.lineage.key);
        if (!entry) {
          entry = { numPartitions: rdd.numPartitions, reads: {} };
          reads.set(rdd.lineage.key, entry);
        }
        entry.reads[q] = rdd.remoteRead.describe(q);
        leaves.set(rdd.lineage.key, rdd);
        return true;
      }
      if (rdd.isInput) {
        if (!rdd.inMemory) return false;
        const items = rdd.partitionToArray(q);
        if (items instanceof Promise) return false;
        let entry = inputs.get(rdd.lineage.key);
        if (!entry) {
          entry = { numPartitions: rdd.numPartitions, partitions: {} };
          inputs.set(rdd.lineage.key, entry);
        }
        entry.partitions[q] = items;
        return true;
      }
      if (rdd.cache) return false;
      if (rdd.shuffles.length > 0) {
        rdd.shuffles.forEach((shuffle, i) => {
          shuffles.push({
            kind: 'shuffle',
            key: rdd.lineage!.key,
            shuffleIndex: i,
            partition: q,
            outputs: shuffle.bucket(q),
          });
        });
        return rdd.narrowParents.length === 0;
      }
      for (const [parent, pq] of rdd.parentPartitions(q)) if (!visit(parent, pq)) return false;
      return true;
    };
    if (!visit(this as RDD<unknown>, p)) return undefined;
    // Every input of this batch the lineage reaches gets its shape, read or not: the worker must
    // rebuild the same streams (a missing input makes a stream's RDD undefined) with the same
    // partition numbering, whichever partitions this task reads.
    for (const shape of this.inputShapes) {
      if (!inputs.has(shape.key) && !reads.has(shape.key))
        inputs.set(shape.key, { numPartitions: shape.numPartitions, partitions: {} });
    }
    const out: RemoteInput[] = [];
    for (const [key, entry] of inputs) out.push({ kind: 'input', key, ...entry });
    for (const [key, entry] of reads) out.push({ kind: 'read', key, ...entry });
    return out.concat(shuffles);
  }

  /** Worker side: installs shipped map outputs for reduce partition `j` of shuffle `index`. */
  provideShuffle(index: number, j: number, outputs: readonly unknown[]): void {
    const shuffle = this.shuffles[index];
    if (!shuffle) throw new RangeError(`${this.name} has no shuffle ${index}`);
    shuffle.provide(j, outputs);
  }

  /** Worker side: computes one task of a remote stage of this RDD. */
  async computeRemote(op: RemoteOp, p: number, shuffleIndex = 0): Promise<unknown> {
    switch (op) {
      case 'collect':
        return await this.partitionToArray(p);
      case 'count':
        return (await this.partitionToArray(p)).length;
      case 'shuffle-map': {
        const shuffle = this.shuffles[shuffleIndex];
        if (!shuffle) throw new RangeError(`${this.name} has no shuffle ${shuffleIndex}`);
        return await shuffle.mapTask(p);
      }
      default: {
        const unknown: never = op;
        throw new Error(`unknown remote op ${String(unknown)}`);
      }
    }
  }

  private remoteStage(op: RemoteOp): RemoteStage | undefined {
    if (!this.lineage) return undefined;
    const leaves: ReadLeaves = new Map();
    return {
      op,
      rdd: this.lineage,
      shape: { name: this.name, numPartitions: this.numPartitions },
      inputs: (p) => this.remoteInputs(p, leaves),
      acceptSideOutputs: (outputs) => acceptSideOutputs(leaves, outputs),
    };
  }

  /** An RDD over data already in memory, one array per partition. */
  static fromPartitions<T>(env: RddEnv, parts: readonly (readonly T[])[], name = 'parallelize'): RDD<T> {
    const rdd = new RDD<T>(
      env,
      parts.length,
      (p, sink) => {
        for (const x of parts[p]!) sink(x);
      },
      name,
    );
    rdd.inMemory = true;
    return rdd;
  }

  /**
   * Splits `items` into `numPartitions` contiguous slices, as Spark's parallelize does. Each
   * partition reads its index range of the caller's array in place: no copy per batch.
   */
  static parallelize<T>(env: RddEnv, items: readonly T[], numPartitions: number): RDD<T> {
    const n = Math.max(1, numPartitions);
    const bounds = range(n + 1).map((i) => Math.floor((i * items.length) / n));
    const rdd = new RDD<T>(
      env,
      n,
      (p, sink) => {
        const until = bounds[p + 1]!;
        for (let i = bounds[p]!; i < until; i++) sink(items[i]!);
      },
      'parallelize',
    );
    rdd.inMemory = true;
    return rdd;
  }

  static empty<T>(env: RddEnv): RDD<T> {
    return RDD.fromPartitions<T>(env, [], 'empty');
  }

  get numPartitions(): number {
    return this.partitions.length;
  }

  /**
   * Keeps each partition once computed, so later batches (windows, state) and other output
   * operations reuse it instead of recomputing. Once every partition is kept the lineage is
   * dropped, which is what stops a state stream's chain of RDDs from growing forever.
   */
  persist(): this {
    if (!this.cache) this.cache = new Array(this.numPartitions);
    return this;
  }

  get isPersisted(): boolean {
    return this.cache !== undefined;
  }

  /** Pushes every element of one partition into `sink`. Internal to tasks; users call actions. */
  iterate(partition: number, sink: Sink<T>): void | Promise<void> {
    const cache = this.cache;
    if (!cache) return this.iterateFn(partition, sink);
    const kept = cache[partition];
    if (kept) {
      for (const x of kept) sink(x);
      return;
    }
    const buffer: T[] = [];
    return then(
      this.iterateFn(partition, (x) => {
        buffer.push(x);
        sink(x);
      }),
      () => {
        cache[partition] = buffer;
        this.truncateLineageIfKept();
      },
    );
  }

  private truncateLineageIfKept(): void {
    const cache = this.cache!;
    for (let p = 0; p < cache.length; p++) if (!cache[p]) return;
    this.iterateFn = (p, sink) => {
      for (const x of cache[p]!) sink(x);
    };
    this.narrowParents = [];
    this.shuffles = [];
    this.parentPartitions = () => [];
  }

  /** Runs every shuffle map stage this RDD's lineage still needs, parents first. */
  private async prepare(): Promise<void> {
    for (const parent of this.narrowParents) await parent.prepare();
    for (const shuffle of this.shuffles) {
      if (shuffle.done) continue;
      await shuffle.parent.prepare();
      await shuffle.run();
    }
  }

  private partitionToArray(p: number): T[] | Promise<T[]> {
    const out: T[] = [];
    const r = this.iterate(p, (x) => {
      out.push(x);
    });
    return r instanceof Promise ? r.then(() => out) : out;
  }

  /** Runs one task per listed partition (all by default) and returns their results in order. */
  async runJob<R>(
    name: string,
    body: (items: T[], partition: number) => R | Promise<R>,
    partitions: readonly number[] = range(this.numPartitions),
    remoteOp?: RemoteOp,
  ): Promise<R[]> {
    await this.prepare();
    const remote = remoteOp ? this.remoteStage(remoteOp) : undefined;
    const stage = { name, rddId: this.id, partitions, ...(remote ? { remote } : {}) };
    return this.env.tasks.runTasks(stage, (p) => {
      const items = this.partitionToArray(p);
      return items instanceof Promise ? items.then((xs) => body(xs, p)) : body(items, p);
    });
  }

  /** Computes (and, when persisted, keeps) every partition not kept yet. */
  async materialize(name = 'materialize'): Promise<void> {
    const missing = this.cache
      ? range(this.numPartitions).filter((p) => !this.cache![p])
      : range(this.numPartitions);
    if (missing.length === 0) return;
    await this.runJob(name, () => undefined, missing);
  }

  // ---- actions ---------------------------------------------------------------------------

  async collect(): Promise<T[]> {
    const parts = await this.runJob('collect', (items) => items, undefined, 'collect');
    return parts.flat() as T[];
  }

  async count(): Promise<number> {
    const counts = await this.runJob('count', (items) => items.length, undefined, 'count');
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Runs `fn` once per partition, as a task: a throw is retried like any task failure. */
  async foreachPartition(fn: (items: T[], partition: number) => void | Promise<void>): Promise<void> {
    await this.runJob('foreachPartition', fn);
  }

  /** The first `n` elements, computing partitions one at a time until it has them. */
  async take(n: number): Promise<T[]> {
    const out: T[] = [];
    for (let p = 0; p < this.numPartitions && out.length < n; p++) {
      const [items] = await this.runJob('take', (xs) => xs, [p], 'collect');
      for (const x of items!) {
        if (out.length >= n) break;
        out.push(x);
      }
    }
    return out;
  }

  // ---- narrow transformations --------------------------------------------------------------

  private narrow<U>(name: string, iterate: IterateFn<U>, numPartitions = this.numPartitions): RDD<U> {
    return new RDD<U>(this.env, numPartitions, iterate, name, { narrow: [this as RDD<unknown>] });
  }

  map<U>(f: (x: T) => U): RDD<U> {
    return this.narrow('map', (p, sink) => this.iterate(p, (x) => sink(f(x))));
  }

  flatMap<U>(f: (x: T) => Iterable<U>): RDD<U> {
    return this.narrow('flatMap', (p, sink) =>
      this.iterate(p, (x) => {
        for (const y of f(x)) sink(y);
      }),
    );
  }

  filter(f: (x: T) => boolean): RDD<T> {
    return this.narrow('filter', (p, sink) =>
      this.iterate(p, (x) => {
        if (f(x)) sink(x);
      }),
    );
  }

  /** `f` sees a whole partition at once (for per-partition setup such as a connection). */
  mapPartitions<U>(f: (items: T[], partition: number) => Iterable<U>): RDD<U> {
    return this.narrow('mapPartitions', (p, sink) => {
      const items = this.partitionToArray(p);
      const emit = (xs: T[]) => {
        for (const y of f(xs, p)) sink(y);
      };
      if (items instanceof Promise) return items.then(emit);
      emit(items);
    });
  }

  /** Partitions of this RDD followed by the partitions of each other RDD. */
  union(...others: RDD<T>[]): RDD<T> {
    const all: RDD<T>[] = [this, ...others];
    const owners: [RDD<T>, number][] = [];
    for (const rdd of all) for (let p = 0; p < rdd.numPartitions; p++) owners.push([rdd, p]);
    return new RDD<T>(
      this.env,
      owners.length,
      (p, sink) => {
        const [rdd, local] = owners[p]!;
        return rdd.iterate(local, sink);
      },
      'union',
      {
        narrow: all as RDD<unknown>[],
        parentPartitions: (p) => [owners[p] as [RDD<unknown>, number]],
      },
    );
  }

  /** Pairs partition p of this RDD with partition p of `other` (both must have as many). */
  zipPartitions<U, R>(other: RDD<U>, f: (a: T[], b: U[], partition: number) => Iterable<R>): RDD<R> {
    if (other.numPartitions !== this.numPartitions) {
      throw new RangeError(
        `zipPartitions needs equal partition counts (${this.numPartitions} vs ${other.numPartitions})`,
      );
    }
    return new RDD<R>(
      this.env,
      this.numPartitions,
      (p, sink) => {
        const a = this.partitionToArray(p);
        const b = other.partitionToArray(p);
        const emit = (xs: T[], ys: U[]) => {
          for (const r of f(xs, ys, p)) sink(r);
        };
        if (a instanceof Promise || b instanceof Promise) {
          return Promise.all([a, b]).then(([xs, ys]) => emit(xs, ys));
        }
        emit(a, b);
      },
      'zipPartitions',
      { narrow: [this as RDD<unknown>, other as RDD<unknown>] },
    );
  }

  // ---- pair transformations (RDD<[K, V]>) -----------------------------------------------------

  mapValues<K, V, W>(this: RDD<[K, V]>, f: (v: V) => W): RDD<[K, W]> {
    return this.narrow('mapValues', (p, sink) => this.iterate(p, (kv) => sink([kv[0], f(kv[1])])));
  }

  flatMapValues<K, V, W>(this: RDD<[K, V]>, f: (v: V) => Iterable<W>): RDD<[K, W]> {
    return this.narrow('flatMapValues', (p, sink) =>
      this.iterate(p, (kv) => {
        for (const w of f(kv[1])) sink([kv[0], w]);
      }),
    );
  }

  /**
   * The general keyed aggregation: values are combined per key inside each map task, then the
   * combiners are merged per key on the reduce side. `mergeCombiners` must not mutate its inputs
   * (a retried reduce task reads the same map outputs again).
   */
  combineByKey<K, V, C>(
    this: RDD<[K, V]>,
    createCombiner: (v: V) => C,
    mergeValue: (c: C, v: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    numPartitions?: number,
    name = 'combineByKey',
  ): RDD<[K, C]> {
    const n = Math.max(1, numPartitions ?? this.numPartitions);
    const parent = this;
    let outputs: Map<KeyId, [K, C]>[][] = [];
    const mapTask = (p: number): Map<KeyId, [K, C]>[] | Promise<Map<KeyId, [K, C]>[]> => {
      const combined = new Map<KeyId, [K, C]>();
      const r = parent.iterate(p, (kv) => {
        const id = keyIdOf(kv[0]);
        const entry = combined.get(id);
        if (entry) entry[1] = mergeValue(entry[1], kv[1]);
        else combined.set(id, [kv[0], createCombiner(kv[1])]);
      });
      const split = (): Map<KeyId, [K, C]>[] => {
        if (n === 1) return [combined];
        const buckets = range(n).map(() => new Map<KeyId, [K, C]>());
        for (const [id, entry] of combined) buckets[partitionOf(id, n)]!.set(id, entry);
        return buckets;
      };
      return r instanceof Promise ? r.then(split) : split();
    };
    const shuffle: ShuffleDependency = {
      parent: parent as RDD<unknown>,
      done: false,
      mapTask,
      bucket: (j) => outputs[j] ?? [],
      provide: (j, given) => {
        outputs[j] = given as Map<KeyId, [K, C]>[];
      },
      async run() {
        const remote = shuffleRemote(shuffle, 0);
        const perMap = await parent.env.tasks.runTasks(
          {
            name: `map side of ${name}`,
            rddId: parent.id,
            partitions: range(parent.numPartitions),
            ...(remote ? { remote } : {}),
          },
          mapTask,
        );
        outputs = range(n).map((j) => perMap.map((buckets) => buckets[j]!));
        (shuffle as { done: boolean }).done = true;
      },
    };
    return new RDD<[K, C]>(
      this.env,
      n,
      (j, sink) => {
        const mapOutputs = outputs[j] ?? [];
        if (mapOutputs.length === 1) {
          for (const entry of mapOutputs[0]!.values()) sink([entry[0], entry[1]]);
          return;
        }
        const merged = new Map<KeyId, [K, C]>();
        for (const output of mapOutputs) {
          for (const [id, entry] of output) {
            const existing = merged.get(id);
            if (existing) existing[1] = mergeCombiners(existing[1], entry[1]);
            else merged.set(id, [entry[0], entry[1]]);
          }
        }
        for (const entry of merged.values()) sink(entry);
      },
      name,
      { shuffles: [shuffle] },
    );
  }

  reduceByKey<K, V>(this: RDD<[K, V]>, f: (a: V, b: V) => V, numPartitions?: number): RDD<[K, V]> {
    return this.combineByKey<K, V, V>((v) => v, f, f, numPartitions, 'reduceByKey');
  }

  groupByKey<K, V>(this: RDD<[K, V]>, numPartitions?: number): RDD<[K, V[]]> {
    return this.combineByKey<K, V, V[]>(
      (v) => [v],
      (c, v) => {
        c.push(v);
        return c;
      },
      (a, b) => a.concat(b),
      numPartitions,
      'groupByKey',
    );
  }

  /**
   * Groups the values of every key across this RDD and `others`: for each key, one array of values
   * per input, in input order (Spark's cogroup).
   */
  cogroup<K, V>(this: RDD<[K, V]>, others: RDD<[K, V]>[], numPartitions?: number): RDD<[K, V[][]]> {
    const inputs = [this, ...others];
    const n = numPartitions ?? Math.max(...inputs.map((r) => r.numPartitions));
    const width = inputs.length;
    const tagged = inputs.map((rdd, idx) => rdd.map(([k, v]): [K, [number, V]] => [k, [idx, v]]));
    const unioned = tagged[0]!.union(...tagged.slice(1));
    return unioned.combineByKey<K, [number, V], V[][]>(
      ([idx, v]) => {
        const groups = Array.from({ length: width }, (): V[] => []);
        groups[idx]!.push(v);
        return groups;
      },
      (groups, [idx, v]) => {
        groups[idx]!.push(v);
        return groups;
      },
      (a, b) => a.map((xs, i) => xs.concat(b[i]!)),
      n,
      'cogroup',
    );
  }

  join<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: number): RDD<[K, [V, W]]> {
    return (this as RDD<[K, unknown]>)
      .cogroup([other as RDD<[K, unknown]>], numPartitions)
      .flatMap(function* ([k, [vs, ws]]) {
        for (const v of vs!) for (const w of ws!) yield [k, [v as V, w as W]] as [K, [V, W]];
      });
  }

  leftOuterJoin<K, V, W>(
    this: RDD<[K, V]>,
    other: RDD<[K, W]>,
    numPartitions?: number,
  ): RDD<[K, [V, W | undefined]]> {
    return (this as RDD<[K, unknown]>)
      .cogroup([other as RDD<[K, unknown]>], numPartitions)
      .flatMap(function* ([k, [vs, ws]]) {
        for (const v of vs!) {
          if (ws!.length === 0) yield [k, [v as V, undefined]] as [K, [V, W | undefined]];
          else for (const w of ws!) yield [k, [v as V, w as W]] as [K, [V, W | undefined]];
        }
      });
  }

  /** Moves elements into `numPartitions` partitions round-robin (a full shuffle). */
  repartition(numPartitions: number): RDD<T> {
    const n = Math.max(1, numPartitions);
    const parent = this;
    let outputs: T[][][] = [];
    const mapTask = (p: number): T[][] | Promise<T[][]> => {
      const buckets = range(n).map((): T[] => []);
      // Start each map partition at a different bucket so small partitions spread evenly.
      let next = p % n;
      const r = parent.iterate(p, (x) => {
        buckets[next]!.push(x);
        next = next + 1 === n ? 0 : next + 1;
      });
      return r instanceof Promise ? r.then(() => buckets) : buckets;
    };
    const shuffle: ShuffleDependency = {
      parent: parent as RDD<unknown>,
      done: false,
      mapTask,
      bucket: (j) => outputs[j] ?? [],
      provide: (j, given) => {
        outputs[j] = given as T[][];
      },
      async run() {
        const remote = shuffleRemote(shuffle, 0);
        const perMap = await parent.env.tasks.runTasks(
          {
            name: 'map side of repartition',
            rddId: parent.id,
            partitions: range(parent.numPartitions),
            ...(remote ? { remote } : {}),
          },
          mapTask,
        );
        outputs = range(n).map((j) => perMap.map((buckets) => buckets[j]!));
        (shuffle as { done: boolean }).done = true;
      },
    };
    return new RDD<T>(
      this.env,
      n,
      (j, sink) => {
        for (const bucket of outputs[j] ?? []) for (const x of bucket) sink(x);
      },
      'repartition',
      { shuffles: [shuffle] },
    );
  }

  /** Places every pair in the partition its key hashes to, keeping arrival order per key. */
  partitionByKey<K, V>(this: RDD<[K, V]>, numPartitions: number): RDD<[K, V]> {
    return this.groupByKey(numPartitions).flatMap(function* ([k, vs]) {
      for (const v of vs) yield [k, v] as [K, V];
    });
  }
}
