/**
 * Runs RDD stages as tasks: one task per partition, handed to the Executor, each retried until
 * it succeeds or has failed `maxTaskFailures` times (Spark's spark.task.maxFailures, default 4).
 * Every failed attempt is counted on the running batch and posted as onTaskFailed.
 */
import type { RemoteSideOutput, StageSpec, TaskRunner } from '../dstream/task-runner.js';
import { describeError, remedyOf, SidestreamError } from '../errors.js';
import type { EventPoster } from '../events/streaming-listener.js';
import type { Clock } from '../time.js';
import type { Executor } from './executor.js';
import type { RunningBatch } from './running-batch.js';

export class TaskScheduler implements TaskRunner {
  private nextTaskId = 0;
  /** The batch whose jobs are running; tasks outside a batch (tests, tools) count nowhere. */
  currentBatch: RunningBatch | undefined;

  constructor(
    private readonly executor: Executor,
    private readonly bus: EventPoster,
    private readonly maxTaskFailures: number,
    /** Times the onTaskStarted/onTaskCompleted events; without one they carry 0. */
    private readonly clock?: Clock,
  ) {}

  async runTasks<R>(stage: StageSpec, body: (partition: number) => R | Promise<R>): Promise<R[]> {
    const results = new Array<R>(stage.partitions.length);
    let next = 0;
    let failed = false;
    let firstError: unknown;
    const worker = async () => {
      // After one task has exhausted its retries the stage is lost: no lane takes another
      // partition, and the stage only rejects once the tasks in flight have settled, so nothing
      // of a failed batch runs on while the next batch starts.
      while (!failed) {
        const slot = next++;
        const partition = stage.partitions[slot];
        if (partition === undefined) break; // every partition is taken
        try {
          results[slot] = await this.runOne(stage, partition, body);
        } catch (error) {
          if (!failed) firstError = error;
          failed = true;
        }
      }
    };
    const lanes = Math.max(1, Math.min(this.executor.parallelism, stage.partitions.length));
    await Promise.all(Array.from({ length: lanes }, worker));
    if (failed) throw firstError;
    return results;
  }

  private async runOne<R>(
    stage: StageSpec,
    partition: number,
    body: (p: number) => R | Promise<R>,
  ): Promise<R> {
    const batch = this.currentBatch;
    if (batch) batch.tasks.total++;
    const taskId = this.nextTaskId++;
    for (let attempt = 1; ; attempt++) {
      const task = {
        batchTime: batch?.batchTime ?? null,
        taskId,
        stage: stage.name,
        rddId: stage.rddId,
        partition,
        attempt,
      };
      this.bus.post('onTaskStarted', { ...task, time: this.clock?.now() ?? 0 });
      try {
        const remote = stage.remote;
        const descriptor = remote
          ? {
              ...task,
              remote: {
                op: remote.op,
                rdd: remote.rdd,
                shape: remote.shape,
                ...(remote.shuffleIndex === undefined ? {} : { shuffleIndex: remote.shuffleIndex }),
                inputs: () => remote.inputs(partition),
                acceptSideOutputs: (outputs: readonly RemoteSideOutput[]) =>
                  remote.acceptSideOutputs(outputs),
              },
            }
          : task;
        const result = await this.executor.run(descriptor, () => body(partition));
        this.bus.post('onTaskCompleted', { ...task, time: this.clock?.now() ?? 0, succeeded: true });
        return result;
      } catch (error) {
        // A coded error whose remedy is not a retry (a sink's offsets moved or a partition was
        // revoked: re-plan; a bad configuration: stop) fails the task at once; anything else the
        // task threw is retried.
        const remedy = remedyOf(error);
        const hopeless = remedy !== undefined && remedy !== 'retry';
        const willRetry = !hopeless && attempt < this.maxTaskFailures;
        const errorType = error instanceof Error ? error.name : typeof error;
        this.bus.post('onTaskCompleted', {
          ...task,
          time: this.clock?.now() ?? 0,
          succeeded: false,
          errorType,
          reason: describeError(error),
        });
        if (batch) {
          batch.tasks.failed++;
          if (willRetry) batch.tasks.retried++;
        }
        this.bus.post('onTaskFailed', {
          batchTime: batch?.batchTime ?? null,
          stage: stage.name,
          rddId: stage.rddId,
          partition,
          attempt,
          willRetry,
          errorType,
          reason: describeError(error),
        });
        if (hopeless) throw error;
        if (!willRetry) {
          throw new SidestreamError(
            'SS_TASK_FAILED',
            `task for partition ${partition} of stage '${stage.name}' failed ${attempt} times ` +
              `(maxTaskFailures ${this.maxTaskFailures}); most recent failure: ${describeError(error)}`,
            { cause: error },
          );
        }
      }
    }
  }
}
