/** Task attempts: posted once per attempt (start, end, failure), never per record. Types only. */

export interface TaskFailure {
  readonly batchTime: number | null;
  readonly stage: string;
  readonly rddId: number;
  readonly partition: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Whether another attempt follows. */
  readonly willRetry: boolean;
  readonly errorType: string;
  readonly reason: string;
}

/** One task attempt, as posted when it starts (onTaskStarted) and ends (onTaskCompleted). */
export interface TaskAttempt {
  readonly batchTime: number | null;
  readonly taskId: number;
  readonly stage: string;
  readonly rddId: number;
  readonly partition: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Clock time (epoch ms) the attempt started, or ended for onTaskCompleted. */
  readonly time: number;
}

/** The end of a task attempt; a failed one is also posted as onTaskFailed. */
export interface TaskAttemptEnd extends TaskAttempt {
  readonly succeeded: boolean;
  /** The thrown error's class name, when the attempt failed. */
  readonly errorType?: string;
  readonly reason?: string;
}
