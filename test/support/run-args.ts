/**
 * The command line of `sidestream run` as the agent and crash tests start it (startAgent,
 * spawnCli, runCli): the job module, then the flags, in one order, so a test names only what it
 * sets.
 */

export interface RunArgsOptions {
  /** The job module: the positional argument of `run`. */
  readonly job: string;
  readonly app?: string;
  /** --batch-interval, a duration such as `200ms`. */
  readonly batchInterval: string;
  readonly checkpointDir?: string;
  readonly batchLog?: string;
  /** Any further flags with their values, given after the ones above. */
  readonly flags?: readonly string[];
  /** --http, HOST:PORT: always given, so that parallel agents never share a port. */
  readonly http: string;
}

/** `run <job> [--app] --batch-interval [--checkpoint-dir] [--batch-log] [flags...] --http`. */
export function runArgs(options: RunArgsOptions): string[] {
  return [
    'run',
    options.job,
    ...(options.app === undefined ? [] : ['--app', options.app]),
    '--batch-interval',
    options.batchInterval,
    ...(options.checkpointDir === undefined ? [] : ['--checkpoint-dir', options.checkpointDir]),
    ...(options.batchLog === undefined ? [] : ['--batch-log', options.batchLog]),
    ...(options.flags ?? []),
    '--http',
    options.http,
  ];
}
