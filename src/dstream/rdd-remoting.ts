/**
 * What executor worker threads need from RDDs (see docs/design/executors.md). On the driver: the
 * remote stage of an action or a shuffle's map side, and per task what the worker cannot rebuild
 * itself (in-memory input partitions, descriptions of input reads, shuffle buckets), found by
 * walking the partition's lineage; afterwards, the side outputs of the worker's reads go back to
 * the driver's input RDDs. In the worker: installing shipped buckets and computing a task.
 *
 * These are free functions over an RDD rather than RDD methods so that the RDD class stays its
 * API; they read the lineage members the RDD marks `@internal`.
 */
import type { RDD } from './rdd.js';
import type { ShuffleDependency } from './shuffle-dependency.js';
import type { RemoteInput, RemoteOp, RemoteSideOutput, RemoteStage } from './task-runner.js';

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
export type ReadLeaves = Map<string, RDD<unknown>>;

/** One input RDD of a batch and its partition count: a worker rebuilds every one of them. */
export interface InputShape {
  readonly key: string;
  readonly numPartitions: number;
  readonly timeMs: number;
}

/** The batch time in a lineage key (`<streamId>@<timeMs>#<n>`). */
export function batchTimeOf(key: string): number {
  return Number(key.slice(key.indexOf('@') + 1, key.indexOf('#')));
}

/** Union by key, keeping only the newest batch time (a state or window RDD reads older ones). */
export function mergeInputShapes(lists: readonly (readonly InputShape[])[]): readonly InputShape[] {
  const only = lists.length === 1 ? lists[0] : undefined;
  if (only) return only;
  let newest = Number.NEGATIVE_INFINITY;
  for (const list of lists) for (const shape of list) if (shape.timeMs > newest) newest = shape.timeMs;
  const out = new Map<string, InputShape>();
  for (const list of lists) for (const shape of list) if (shape.timeMs === newest) out.set(shape.key, shape);
  return [...out.values()];
}

async function acceptSideOutputs(leaves: ReadLeaves, outputs: readonly RemoteSideOutput[]): Promise<void> {
  for (const out of outputs) {
    const leaf = leaves.get(out.key);
    if (!leaf?.remoteRead) throw new Error(`no input RDD ${out.key} for a remote read's side output`);
    await leaf.remoteRead.accept(out.partition, out.data);
  }
}

/** Driver side: the remote stage of an action `op` over `rdd`, or undefined when it has no lineage id. */
export function remoteStage(rdd: RDD<unknown>, op: RemoteOp): RemoteStage | undefined {
  if (!rdd.lineage) return undefined;
  const leaves: ReadLeaves = new Map();
  return {
    op,
    rdd: rdd.lineage,
    shape: { name: rdd.name, numPartitions: rdd.numPartitions },
    inputs: (p) => remoteInputs(rdd, p, leaves),
    acceptSideOutputs: (outputs) => acceptSideOutputs(leaves, outputs),
  };
}

/** Driver side: the remote stage of a shuffle's map side, named by its reduce-side RDD. */
export function shuffleRemote(shuffle: ShuffleDependency, index: number): RemoteStage | undefined {
  const owner = shuffle.owner;
  if (!owner?.lineage) return undefined;
  const leaves: ReadLeaves = new Map();
  return {
    op: 'shuffle-map',
    rdd: owner.lineage,
    shape: { name: owner.name, numPartitions: owner.numPartitions },
    shuffleIndex: index,
    inputs: (p) => remoteInputs(shuffle.parent, p, leaves),
    acceptSideOutputs: (outputs) => acceptSideOutputs(leaves, outputs),
  };
}

/**
 * Driver side: the data a worker needs to compute partition `p` of `rdd` after rebuilding its
 * lineage, or undefined when some part of the lineage cannot be rebuilt in a worker (an RDD
 * made outside a stream's compute, a persisted RDD, an input read asynchronously). Input RDDs
 * with a RemoteRead are described rather than read when `leaves` is given, and recorded in it.
 */
export function remoteInputs(rdd: RDD<unknown>, p: number, leaves?: ReadLeaves): RemoteInput[] | undefined {
  const inputs = new Map<string, { numPartitions: number; partitions: Record<number, unknown[]> }>();
  const reads = new Map<string, { numPartitions: number; reads: Record<number, unknown> }>();
  const shuffles: RemoteInput[] = [];
  const visit = (node: RDD<unknown>, q: number): boolean => {
    if (!node.lineage) return false;
    if (node.isInput && node.remoteRead && leaves) {
      let entry = reads.get(node.lineage.key);
      if (!entry) {
        entry = { numPartitions: node.numPartitions, reads: {} };
        reads.set(node.lineage.key, entry);
      }
      entry.reads[q] = node.remoteRead.describe(q);
      leaves.set(node.lineage.key, node);
      return true;
    }
    if (node.isInput) {
      if (!node.inMemory) return false;
      const items = node.partitionToArray(q);
      if (items instanceof Promise) return false;
      let entry = inputs.get(node.lineage.key);
      if (!entry) {
        entry = { numPartitions: node.numPartitions, partitions: {} };
        inputs.set(node.lineage.key, entry);
      }
      entry.partitions[q] = items;
      return true;
    }
    if (node.isPersisted) return false;
    if (node.shuffles.length > 0) {
      const key = node.lineage.key;
      node.shuffles.forEach((shuffle, i) => {
        shuffles.push({ kind: 'shuffle', key, shuffleIndex: i, partition: q, outputs: shuffle.bucket(q) });
      });
      return node.narrowParents.length === 0;
    }
    for (const [parent, pq] of node.parentPartitions(q)) if (!visit(parent, pq)) return false;
    return true;
  };
  if (!visit(rdd, p)) return undefined;
  // Every input of this batch the lineage reaches gets its shape, read or not: the worker must
  // rebuild the same streams (a missing input makes a stream's RDD undefined) with the same
  // partition numbering, whichever partitions this task reads.
  for (const shape of rdd.inputShapes) {
    if (!inputs.has(shape.key) && !reads.has(shape.key))
      inputs.set(shape.key, { numPartitions: shape.numPartitions, partitions: {} });
  }
  const out: RemoteInput[] = [];
  for (const [key, entry] of inputs) out.push({ kind: 'input', key, ...entry });
  for (const [key, entry] of reads) out.push({ kind: 'read', key, ...entry });
  return out.concat(shuffles);
}

/** Worker side: installs shipped map outputs for reduce partition `j` of `rdd`'s shuffle `index`. */
export function provideShuffle(
  rdd: RDD<unknown>,
  index: number,
  j: number,
  outputs: readonly unknown[],
): void {
  const shuffle = rdd.shuffles[index];
  if (!shuffle) throw new RangeError(`${rdd.name} has no shuffle ${index}`);
  shuffle.provide(j, outputs);
}

/** Worker side: computes one task of a remote stage of `rdd`. */
export async function computeRemote(
  rdd: RDD<unknown>,
  op: RemoteOp,
  p: number,
  shuffleIndex = 0,
): Promise<unknown> {
  switch (op) {
    case 'collect':
      return await rdd.partitionToArray(p);
    case 'count':
      return (await rdd.partitionToArray(p)).length;
    case 'shuffle-map': {
      const shuffle = rdd.shuffles[shuffleIndex];
      if (!shuffle) throw new RangeError(`${rdd.name} has no shuffle ${shuffleIndex}`);
      return await shuffle.mapTask(p);
    }
    default: {
      const unknown: never = op;
      throw new Error(`unknown remote op ${String(unknown)}`);
    }
  }
}
