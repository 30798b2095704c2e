/**
 * The resolved configuration the agent runs with (AgentConfig) and the shapes of its two
 * mapping settings. settings.ts has one row per property and fails to compile when a property
 * has none; config.ts resolves the layers into this shape.
 */
import type { BatchFailurePolicy } from '../../engine/engine-options.js';
import type { FsyncPolicy } from '../../state/write-ahead-log.js';
import type { GraphiteTarget } from '../../telemetry/exporters/graphite/graphite-target.js';
import type { GraphiteNaming } from '../../telemetry/graphite-naming.js';
import type { LogFormat, LogLevel } from '../logger.js';
import type { HttpAddress } from './http-address.js';

/** Every default applied, every value checked. */
export interface AgentConfig {
  readonly app: string;
  readonly batchIntervalMs: number;
  readonly checkpointDir: string | undefined;
  /** How often a metadata checkpoint is written; undefined: every batch. */
  readonly checkpointIntervalMs: number | undefined;
  /** Recover from a checkpoint written by a job module with another content hash. */
  readonly allowJobChange: boolean;
  /** Run the engine in a child process restarted after crashes (docs/deployment.md). */
  readonly supervise: boolean;
  /** Most restarts within `restartWindowMs` before the supervisor gives up. */
  readonly restartBudget: number;
  readonly restartWindowMs: number;
  /** The receivers' write-ahead log fsync policy; undefined: the engine's default ('always'). */
  readonly walFsync?: FsyncPolicy;
  readonly http: HttpAddress;
  readonly batchLogPath: string | undefined;
  readonly onBatchFailure: BatchFailurePolicy;
  readonly maxTaskFailures: number;
  readonly shutdownTimeoutMs: number;
  /**
   * How long importing the job module, and then its job function, may each take (in each
   * executor worker too) before start-up fails with SS_JOB_LOAD_TIMEOUT.
   */
  readonly jobLoadTimeoutMs: number;
  /** Undefined: the engine's default (the machine's cores). */
  readonly defaultParallelism: number | undefined;
  /**
   * Worker threads running tasks (docs/executors.md); 0: every task on the main thread.
   * Default: the machine's cores (os.availableParallelism()).
   */
  readonly executors: number;
  /** Push metrics to Graphite; absent when not configured. */
  readonly graphite?: GraphiteConfig;
  /** Push the registry to a Prometheus Pushgateway; absent when not configured. */
  readonly pushgateway?: PushgatewayConfig;
  /** Bearer token guarding `/` and `/api/*` (see docs/deployment.md); absent: no token. */
  readonly httpToken?: string;
  /** The agent's own log (docs/deployment.md, Logs): the least severe level shown, and the format. */
  readonly logLevel?: LogLevel;
  readonly logFormat?: LogFormat;
  /**
   * How often the agent logs an info line summarising the batches completed since the last one,
   * when it does not print a line per batch (not a terminal, or json); 0: never. resolveConfig
   * always sets it; optional, as the log settings above, for configs built by hand.
   */
  readonly batchSummaryIntervalMs?: number;
}

/**
 * `pushgateway:` in the file (or `--pushgateway URL` / `SIDESTREAM_PUSHGATEWAY=URL`, which set only
 * `url`). The job name is the app; the registry is pushed on stop, and every `interval` when set.
 */
export interface PushgatewayConfig {
  /** As written: `http://HOST:PORT` (a path prefix is allowed). */
  readonly url: string;
  /** Also push every this many milliseconds while running; absent: only on stop. */
  readonly intervalMs?: number;
}

/** `graphite:` in the file (or `--graphite URL` / `SIDESTREAM_GRAPHITE=URL`, which set only `url`). */
export interface GraphiteConfig {
  /** As written: `tcp://HOST:PORT` or `udp://HOST:PORT`. */
  readonly url: string;
  readonly target: GraphiteTarget;
  readonly prefix?: string;
  readonly naming?: GraphiteNaming;
  readonly instance?: string;
}

/** The properties AgentConfig declares with `?`. */
type OptionalKey = {
  [K in keyof AgentConfig]-?: object extends Pick<AgentConfig, K> ? K : never;
}[keyof AgentConfig];

/**
 * AgentConfig's optional properties, which the resolved config leaves out while unset; the others
 * are always present, possibly undefined. Checked against the interface: a property made optional
 * or required there fails to compile here until this list agrees.
 */
export const OPTIONAL_CONFIG_KEYS: ReadonlySet<keyof AgentConfig> = new Set(
  Object.keys({
    walFsync: true,
    graphite: true,
    pushgateway: true,
    httpToken: true,
    logLevel: true,
    logFormat: true,
    batchSummaryIntervalMs: true,
  } satisfies Record<OptionalKey, true>) as (keyof AgentConfig)[],
);
