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
