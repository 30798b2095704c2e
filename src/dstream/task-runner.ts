/**
 * The seam between RDDs (module 1's per-batch data) and the scheduler (module 2). An RDD action
 * or a shuffle asks the runner to run one task per partition; the runner owns retries, failure
 * accounting and the executor that runs the task body. RDD code never knows which batch it is
 * in or how tasks are executed.
 */

export interface StageSpec {
  /** Human name, for failure reasons and telemetry ("map side of reduceByKey", "collect"). */
  readonly name: string;
  /** Id of the RDD whose partitions the tasks compute. */
  readonly rddId: number;
  /** The partition indexes to run, usually all of them. */
  readonly partitions: readonly number[];
  /**
   * Set when a worker thread can compute this stage's tasks by rebuilding the RDD from the job
   * module (see docs/design/executors.md); absent stages always run in-process.
   */
  readonly remote?: RemoteStage;
}

/**
 * An RDD's identity that is the same in every thread running the same job: the generating
 * stream's index in the graph, the batch time and the RDD's creation ordinal inside that
 * stream's compute (`<streamId>@<timeMs>#<n>`, or `#in` for an input stream's RDD). The zero
 * time lets a worker start its copy of the graph where the driver's started.
 */
export interface LineageId {
  readonly key: string;
  readonly zeroTimeMs: number;
}

/** What a worker-side task computes from its partition. */
export type RemoteOp = 'collect' | 'count' | 'shuffle-map';

/** Data a worker cannot rebuild itself, shipped with the task (structured clone). */
export type RemoteInput =
  | {
      readonly kind: 'input';
      /** The input RDD's lineage key. */
      readonly key: string;
      readonly numPartitions: number;
      /** The partitions this task reads, by index; the others stay empty in the worker. */
      readonly partitions: Readonly<Record<number, readonly unknown[]>>;
    }
  | {
      readonly kind: 'read';
      /** The input RDD's lineage key: the worker's own copy of its source reads the partitions. */
      readonly key: string;
      readonly numPartitions: number;
      /** What each partition this task reads takes (a Kafka offset range), by index. */
      readonly reads: Readonly<Record<number, unknown>>;
    }
  | {
      readonly kind: 'shuffle';
      /** The reduce-side RDD's lineage key. */
      readonly key: string;
      readonly shuffleIndex: number;
      readonly partition: number;
      /** The map outputs of this reduce partition's bucket, one per map task. */
      readonly outputs: readonly unknown[];
    };

/**
 * What a worker's read of an input partition produced besides its records (event times, trace
 * links, records the decoder rejected): handed back to the driver's input RDD, which does with
 * it what an in-process read would have done (event-time lag, dead letters, record-error events).
 */
export interface RemoteSideOutput {
  readonly key: string;
  readonly partition: number;
  readonly data: unknown;
}

export interface RddShape {
  readonly name: string;
  readonly numPartitions: number;
}

export interface RemoteStage {
  readonly op: RemoteOp;
  readonly rdd: LineageId;
  /**
   * What the RDD under that key looks like on the driver: a worker whose regenerated RDD differs
   * (a stream whose compute depends on earlier batches the worker cannot rebuild) says so, and
   * the task runs in-process instead.
   */
  readonly shape: RddShape;
  /** For 'shuffle-map': which of the RDD's shuffle dependencies runs its map side. */
  readonly shuffleIndex?: number;
  /** Driver side, per attempt: what the task reads, or undefined when it cannot run remotely. */
  inputs(partition: number): RemoteInput[] | undefined;
  /** Driver side, after a remote attempt succeeded: its reads' side outputs (a throw fails the attempt). */
  acceptSideOutputs(outputs: readonly RemoteSideOutput[]): Promise<void>;
}

export interface TaskRunner {
  /**
   * Runs `body(partition)` once per partition, retrying a partition that throws until it
   * succeeds or has failed maxTaskFailures times; then rejects with SS_TASK_FAILED.
   * Resolves with the results in partition order.
   */
  runTasks<R>(stage: StageSpec, body: (partition: number) => R | Promise<R>): Promise<R[]>;
}

/** Runs task bodies directly, without retries: for RDDs used outside a streaming context. */
export const directTaskRunner: TaskRunner = {
  async runTasks<R>(stage: StageSpec, body: (partition: number) => R | Promise<R>): Promise<R[]> {
    const out: R[] = [];
    for (const p of stage.partitions) out.push(await body(p));
    return out;
  },
};
