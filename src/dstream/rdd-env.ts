/**
 * RddEnv: what every RDD is built in, one per StreamingContext. RDDs hold this interface rather
 * than the context, so RDD code never knows which batch it is in or how its tasks run.
 */
import type { Lineage } from './lineage.js';
import { directTaskRunner, type TaskRunner } from './task-runner.js';

/** Where an RDD runs its tasks and gets its id; one per StreamingContext. */
export interface RddEnv {
  readonly tasks: TaskRunner;
  nextRddId(): number;
  /** Names RDDs made while a stream computes a batch, so another thread can find them again. */
  readonly lineage?: Lineage;
}

let standaloneIds = 0;
/** An environment for RDDs built outside a streaming context (tests, tools): no retries. */
export const standaloneRddEnv: RddEnv = { tasks: directTaskRunner, nextRddId: () => ++standaloneIds };
