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
import { type KeyId, keyIdOf, partitionOf } from './keys.js';
import { directTaskRunner, type TaskRunner } from './task-runner.js';

export type Sink<T> = (item: T) => void;
type IterateFn<T> = (partition: number, sink: Sink<T>) => void | Promise<void>;

/** Where an RDD runs its tasks and gets its id; one per StreamingContext. */
export interface RddEnv {
  readonly tasks: TaskRunner;
  nextRddId(): number;
}

let standaloneIds = 0;
/** An environment for RDDs built outside a streaming context (tests, tools): no retries. */
export const standaloneRddEnv: RddEnv = { tasks: directTaskRunner, nextRddId: () => ++standaloneIds };

/** A half-open Kafka offset range `[fromOffset, untilOffset)` read by one partition of a batch. */
export interface OffsetRange {
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: number;
  readonly untilOffset: number;
}

export interface Partition {
  readonly index: number;
}

/** A shuffle boundary. `run` computes the map side as tasks; afterwards the child reads buckets. */
interface ShuffleDependency {
  readonly parent: RDD<unknown>;
  readonly done: boolean;
  run(): Promise<void>;
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

  private iterateFn: IterateFn<T>;
  private narrowParents: RDD<unknown>[];
  private shuffles: ShuffleDependency[];
  private cache: (T[] | undefined)[] | undefined;

  constructor(
    readonly env: RddEnv,
    numPartitions: number,
    iterate: IterateFn<T>,
    name: string,
    deps: { narrow?: RDD<unknown>[]; shuffles?: ShuffleDependency[] } = {},
  ) {
    this.id = env.nextRddId();
    this.name = name;
    this.partitions = range(numPartitions).map((index) => ({ index }));
    this.iterateFn = iterate;
    this.narrowParents = deps.narrow ?? [];
    this.shuffles = deps.shuffles ?? [];
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
    return rdd;
  }

  /**
   * Splits `items` into `numPartitions` contiguous slices, as Spark's parallelize does. Each
   * partition reads its index range of the caller's array in place: no copy per batch.
   */
  static parallelize<T>(env: RddEnv, items: readonly T[], numPartitions: number): RDD<T> {
    const n = Math.max(1, numPartitions);
    const bounds = range(n + 1).map((i) => Math.floor((i * items.length) / n));
    return new RDD<T>(
      env,
      n,
      (p, sink) => {
        const until = bounds[p + 1]!;
        for (let i = bounds[p]!; i < until; i++) sink(items[i]!);
      },
      'parallelize',
    );
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
  ): Promise<R[]> {
    await this.prepare();
    return this.env.tasks.runTasks({ name, rddId: this.id, partitions }, (p) => {
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
    const parts = await this.runJob('collect', (items) => items);
    return parts.flat() as T[];
  }

  async count(): Promise<number> {
    const counts = await this.runJob('count', (items) => items.length);
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
      const [items] = await this.runJob('take', (xs) => xs, [p]);
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
      { narrow: all as RDD<unknown>[] },
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
    const shuffle: ShuffleDependency = {
      parent: parent as RDD<unknown>,
      done: false,
      async run() {
        const perMap = await parent.env.tasks.runTasks(
          { name: `map side of ${name}`, rddId: parent.id, partitions: range(parent.numPartitions) },
          (p) => {
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
          },
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
    const shuffle: ShuffleDependency = {
      parent: parent as RDD<unknown>,
      done: false,
      async run() {
        const perMap = await parent.env.tasks.runTasks(
          { name: 'map side of repartition', rddId: parent.id, partitions: range(parent.numPartitions) },
          (p) => {
            const buckets = range(n).map((): T[] => []);
            // Start each map partition at a different bucket so small partitions spread evenly.
            let next = p % n;
            const r = parent.iterate(p, (x) => {
              buckets[next]!.push(x);
              next = next + 1 === n ? 0 : next + 1;
            });
            return r instanceof Promise ? r.then(() => buckets) : buckets;
          },
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
