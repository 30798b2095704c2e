/**
 * mapWithState (Spark's MapWithStateDStream): a per-key state updated record by record. The
 * internal stream carries one StatePartition per partition per batch; its RDDs are persisted so
 * the next batch starts from them. Keys are hash-partitioned, so partition p of the new records
 * meets partition p of the previous state.
 */
import { SidestreamError } from '../errors.js';
import type { ComputeFn, DStream } from './dstream.js';
import { type KeyId, keyIdOf } from './keys.js';
import type { RDD } from './rdd.js';

/** The state of one key, handed to the update function (Spark's State[S]). */
export interface State<S> {
  exists(): boolean;
  /** The state; throws when there is none (check exists() or use getOption()). */
  get(): S;
  getOption(): S | undefined;
  update(state: S): void;
  remove(): void;
  /** True when the call is for a key idle past the timeout; the key is removed after it. */
  isTimingOut(): boolean;
}

export interface MapWithStateSpec<K, V, S, M> {
  /** Called once per new record (in arrival order) and once per timed-out key (value undefined). */
  update(key: K, value: V | undefined, state: State<S>): M | undefined;
  /** Keys with no new record for this long are timed out; off when absent. */
  timeoutMs?: number;
  numPartitions?: number;
}

interface Entry<K, S> {
  key: K;
  state: S;
  updatedAtMs: number;
}

export class StatePartition<K, S, M> {
  constructor(
    readonly entries: Map<KeyId, Entry<K, S>>,
    readonly mapped: M[],
  ) {}

  snapshot(): [K, S][] {
    return [...this.entries.values()].map((e): [K, S] => [e.key, e.state]);
  }
}

class KeyState<S> implements State<S> {
  updated = false;
  removed = false;

  constructor(
    private value: S | undefined,
    private present: boolean,
    private readonly timingOut: boolean,
  ) {}

  exists(): boolean {
    return this.present;
  }

  get(): S {
    if (!this.present)
      throw new SidestreamError(
        'SS_CONTEXT_STATE',
        'mapWithState: get() on a key with no state; check exists() first',
      );
    return this.value as S;
  }

  getOption(): S | undefined {
    return this.present ? this.value : undefined;
  }

  update(state: S): void {
    if (this.timingOut)
      throw new SidestreamError(
        'SS_CONTEXT_STATE',
        'mapWithState: a state that is timing out cannot be updated',
      );
    this.value = state;
    this.present = true;
    this.updated = true;
    this.removed = false;
  }

  remove(): void {
    if (this.timingOut)
      throw new SidestreamError(
        'SS_CONTEXT_STATE',
        'mapWithState: a state that is timing out is removed already',
      );
    this.present = false;
    this.removed = true;
    this.updated = false;
  }

  isTimingOut(): boolean {
    return this.timingOut;
  }
}

/** StatePartition instances lose their class in a checkpoint: store them as plain data. */
export const statePartitionCodec = {
  encode(p: StatePartition<unknown, unknown, unknown>): unknown {
    return { entries: [...p.entries.values()], mapped: p.mapped };
  },
  decode(value: unknown): StatePartition<unknown, unknown, unknown> {
    const v = value as { entries: Entry<unknown, unknown>[]; mapped: unknown[] };
    return new StatePartition(new Map(v.entries.map((e) => [keyIdOf(e.key), e])), v.mapped);
  },
};

export function mapWithStateCompute<K, V, S, M>(
  parent: DStream<[K, V]>,
  spec: MapWithStateSpec<K, V, S, M>,
  numPartitions: number,
): ComputeFn<StatePartition<K, S, M>> {
  return (t, self) => {
    const previous = self.getOrCompute(t - self.slideMs);
    const batch = parent.getOrCompute(t);
    let records: RDD<[K, V]>;
    if (batch) records = batch.partitionByKey(numPartitions);
    else if (previous) records = previous.mapPartitions(() => []) as unknown as RDD<[K, V]>;
    else return undefined;
    const prior: RDD<StatePartition<K, S, M>> =
      previous ?? records.mapPartitions(() => [new StatePartition<K, S, M>(new Map(), [])]);
    return prior.zipPartitions(records, (priors, kvs) => {
      const entries = new Map(priors[0]?.entries ?? []);
      const mapped: M[] = [];
      const touched = new Set<KeyId>();
      for (const [k, v] of kvs) {
        const id = keyIdOf(k);
        const entry = entries.get(id);
        const state = new KeyState<S>(entry?.state, entry !== undefined, false);
        const out = spec.update(k, v, state);
        if (out !== undefined) mapped.push(out);
        if (state.removed) entries.delete(id);
        // As in Spark: with a timeout, a record for a key refreshes its idle clock even when the
        // function leaves the state as it was.
        else if (state.updated || (state.exists() && spec.timeoutMs !== undefined)) {
          entries.set(id, { key: k, state: state.get(), updatedAtMs: t });
        }
        touched.add(id);
      }
      if (spec.timeoutMs !== undefined) {
        const threshold = t - spec.timeoutMs;
        for (const [id, entry] of entries) {
          if (touched.has(id) || entry.updatedAtMs >= threshold) continue;
          const out = spec.update(entry.key, undefined, new KeyState<S>(entry.state, true, true));
          if (out !== undefined) mapped.push(out);
          entries.delete(id);
        }
      }
      return [new StatePartition<K, S, M>(entries, mapped)];
    });
  };
}
