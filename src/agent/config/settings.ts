/**
 * THE configuration table: one row per setting of the agent, in the order messages list them
 * (`known keys: app, batchInterval, ...`). The layer schema (layer-schema.ts), the commander
 * options of `run`, `demo` and `validate` (cli-options.ts) and docs/configuration.md
 * (`npm run docs:config`) are generated from it, and it fails to compile when a property of
 * AgentConfig has no row. Adding a setting: add its row here and its property to AgentConfig.
 */
import { availableParallelism } from 'node:os';
import { DEFAULT_JOB_LOAD_TIMEOUT_MS } from '../../job-module.js';
import { DEFAULT_LOG_FORMAT, DEFAULT_LOG_LEVEL, LOG_FORMATS, LOG_LEVELS } from '../logger.js';
import type { AgentConfig } from './agent-config.js';
import { DEFAULT_HTTP } from './http-address.js';
import { mapping } from './mapping-kind.js';
import { type Setting, setting } from './setting.js';
import {
  appName,
  boolean,
  duration,
  durationOrOff,
  graphiteInstance,
  graphitePrefix,
  graphiteUrl,
  httpAddress,
  httpToken,
  nonEmptyString,
  oneOf,
  pushgatewayUrl,
  walFsync,
  wholeNumber,
} from './value-kinds.js';

export const DEFAULT_BATCH_INTERVAL_MS = 1000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_TASK_FAILURES = 4;
export const DEFAULT_RESTART_BUDGET = 5;
export const DEFAULT_RESTART_WINDOW_MS = 10 * 60_000;
/** Spark's UI refreshes its streaming statistics about this often; a log line a minute is no flood. */
export const DEFAULT_BATCH_SUMMARY_INTERVAL_MS = 60_000;

/**
 * More worker threads than a few per core only add memory (each thread loads the job and the
 * engine) and contention: 100000 executors once spawned hundreds of threads and 2 GB before the
 * first batch.
 */
const MAX_EXECUTORS = 4 * availableParallelism();

const MAPPING_ONLY = 'inside the mapping, YAML only';

export const SETTINGS = [
  setting({
    key: 'app',
    configKey: 'app',
    flag: '--app',
    placeholder: '<name>',
    env: 'SIDESTREAM_APP',
    value: appName,
    default: {
      compute: ({ defaultApp }) => defaultApp ?? 'sidestream',
      shown: "the job file's name (demo for sidestream demo)",
    },
    description: 'app name: the app label of every metric and the Pushgateway job',
  }),
  setting({
    key: 'batchInterval',
    configKey: 'batchIntervalMs',
    flag: '--batch-interval',
    placeholder: '<duration>',
    env: 'SIDESTREAM_BATCH_INTERVAL',
    value: duration({ example: '1s', allowZero: false, max: '1h' }),
    default: { value: DEFAULT_BATCH_INTERVAL_MS, shown: '1s' },
    errorCode: 'SS_BATCH_INTERVAL_INVALID',
    description: 'how often a batch starts, e.g. 500ms or 2s',
  }),
  setting({
    key: 'checkpointDir',
    configKey: 'checkpointDir',
    flag: '--checkpoint-dir',
    placeholder: '<dir>',
    env: 'SIDESTREAM_CHECKPOINT_DIR',
    value: nonEmptyString('a directory path', '/var/lib/sidestream/clicks'),
    default: { unset: true, shown: 'none' },
    description:
      "checkpoint directory: Kafka offset logs, metadata checkpoints and the receivers' write-ahead log (docs/checkpoints.md)",
  }),
  setting({
    key: 'checkpointInterval',
    configKey: 'checkpointIntervalMs',
    flag: '--checkpoint-interval',
    placeholder: '<duration>',
    env: 'SIDESTREAM_CHECKPOINT_INTERVAL',
    value: duration({ example: '10s', allowZero: false, max: '24h' }),
    default: { unset: true, shown: 'every batch' },
    description: 'how often a metadata checkpoint is written, a multiple of the batch interval',
  }),
  setting({
    key: 'allowJobChange',
    configKey: 'allowJobChange',
    flag: '--allow-job-change',
    env: 'SIDESTREAM_ALLOW_JOB_CHANGE',
    value: boolean,
    default: { value: false, shown: 'false' },
    description: 'recover from a checkpoint written by a changed job module (what still matches is restored)',
  }),
  setting({
    key: 'walFsync',
    configKey: 'walFsync',
    flag: '--wal-fsync',
    placeholder: '<policy>',
    env: 'SIDESTREAM_WAL_FSYNC',
    value: walFsync({ example: '100ms', allowZero: false, max: '1m' }),
    default: { unset: true, shown: "always (the engine's default)" },
    description:
      "when the receivers' write-ahead log fsyncs: always, never, or at most once per duration such as 100ms (docs/wal.md)",
  }),
  setting({
    key: 'supervise',
    configKey: 'supervise',
    flag: '--supervise',
    env: 'SIDESTREAM_SUPERVISE',
    value: boolean,
    default: { value: false, shown: 'false' },
    description:
      'run the engine in a child process and restart it after a crash, with backoff (docs/deployment.md)',
  }),
  setting({
    key: 'restartBudget',
    configKey: 'restartBudget',
    flag: '--restart-budget',
    placeholder: '<n>',
    env: 'SIDESTREAM_RESTART_BUDGET',
    value: wholeNumber({ min: 1, max: 100, example: DEFAULT_RESTART_BUDGET }),
    default: { value: DEFAULT_RESTART_BUDGET, shown: '5' },
    unit: 'restarts',
    description: 'with supervise: most restarts within the restart window before the supervisor gives up',
  }),
  setting({
    key: 'restartWindow',
    configKey: 'restartWindowMs',
    flag: '--restart-window',
    placeholder: '<duration>',
    env: 'SIDESTREAM_RESTART_WINDOW',
    value: duration({ example: '10m', allowZero: false, max: '24h' }),
    default: { value: DEFAULT_RESTART_WINDOW_MS, shown: '10m' },
    description: 'with supervise: the window the restart budget counts restarts in',
  }),
  setting({
    key: 'http',
    configKey: 'http',
    flag: '--http',
    placeholder: '<host:port>',
    env: 'SIDESTREAM_HTTP',
    value: httpAddress,
    default: { value: DEFAULT_HTTP, shown: `${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port}` },
    description: 'address of the status page, /api/*, /metrics, /healthz and /readyz',
  }),
  setting({
    key: 'batchLog',
    configKey: 'batchLogPath',
    flag: '--batch-log',
    placeholder: '<file>',
    env: 'SIDESTREAM_BATCH_LOG',
    value: nonEmptyString('a file path', 'batches.jsonl'),
    default: { unset: true, shown: 'none' },
    description: 'append each completed batch record to this JSON-lines file',
  }),
  setting({
    key: 'onBatchFailure',
    configKey: 'onBatchFailure',
    flag: '--on-batch-failure',
    placeholder: '<policy>',
    env: 'SIDESTREAM_ON_BATCH_FAILURE',
    value: oneOf(['stop', 'continue'], "must be 'stop' or 'continue'"),
    default: { value: 'stop', shown: 'stop' },
    description: 'after a failed batch: stop the agent, or continue with the next batch',
  }),
  setting({
    key: 'maxTaskFailures',
    configKey: 'maxTaskFailures',
    flag: '--max-task-failures',
    placeholder: '<n>',
    env: 'SIDESTREAM_MAX_TASK_FAILURES',
    value: wholeNumber({ min: 1, max: 100, example: DEFAULT_MAX_TASK_FAILURES }),
    default: { value: DEFAULT_MAX_TASK_FAILURES, shown: '4' },
    unit: 'attempts',
    description: 'attempts per task before its output operation fails',
  }),
  setting({
    key: 'shutdownTimeout',
    configKey: 'shutdownTimeoutMs',
    flag: '--shutdown-timeout',
    placeholder: '<duration>',
    env: 'SIDESTREAM_SHUTDOWN_TIMEOUT',
    value: duration({ example: '10s', allowZero: true, max: '1h' }),
    default: { value: DEFAULT_SHUTDOWN_TIMEOUT_MS, shown: '10s' },
    description: 'how long a graceful stop waits for in-flight batches',
  }),
  setting({
    key: 'jobLoadTimeout',
    configKey: 'jobLoadTimeoutMs',
    flag: '--job-load-timeout',
    placeholder: '<duration>',
    env: 'SIDESTREAM_JOB_LOAD_TIMEOUT',
    value: duration({ example: '2m', allowZero: false, max: '1h' }),
    default: { value: DEFAULT_JOB_LOAD_TIMEOUT_MS, shown: '60s' },
    description:
      'how long importing the job module, and then its job function, may each take (in each executor worker too) before start-up fails with SS_JOB_LOAD_TIMEOUT',
  }),
  setting({
    key: 'defaultParallelism',
    configKey: 'defaultParallelism',
    flag: '--default-parallelism',
    placeholder: '<n>',
    env: 'SIDESTREAM_DEFAULT_PARALLELISM',
    value: wholeNumber({ min: 1, max: 1000, example: 4 }),
    default: { unset: true, shown: "the machine's cores" },
    unit: 'partitions',
    description: 'partitions for inputs and shuffles',
  }),
  setting({
    key: 'executors',
    configKey: 'executors',
    flag: '--executors',
    placeholder: '<n>',
    env: 'SIDESTREAM_EXECUTORS',
    value: wholeNumber({
      min: 0,
      max: MAX_EXECUTORS,
      example: 2,
      maxShown: "4 × the machine's cores",
      maxReason: `4 × this machine's ${availableParallelism()} cores`,
    }),
    default: { compute: () => availableParallelism(), shown: "the machine's cores" },
    unit: 'threads',
    description: 'worker threads running tasks; 0: every task on the main thread (docs/executors.md)',
  }),
  setting({
    key: 'graphite',
    configKey: 'graphite',
    flag: '--graphite',
    placeholder: '<url>',
    env: 'SIDESTREAM_GRAPHITE',
    value: mapping({
      shorthand: 'url',
      shorthandForm: 'tcp://HOST:PORT, udp://HOST:PORT',
      form: 'URL, or a mapping of the keys below',
      fields: {
        url: {
          value: graphiteUrl,
          required: true,
          default: { shown: 'required' },
          noFlag: 'given by --graphite and SIDESTREAM_GRAPHITE',
          description: "carbon's plaintext listener",
        },
        prefix: {
          value: graphitePrefix,
          default: { shown: 'sidestream' },
          noFlag: MAPPING_ONLY,
          description: 'first segments of every dotted name (not used by tagged naming)',
        },
        naming: {
          value: oneOf(['dotted', 'tagged'], "must be 'dotted' or 'tagged'"),
          default: { shown: 'dotted' },
          noFlag: MAPPING_ONLY,
          description: 'dotted paths, or Graphite 1.1 tags (carbon needs ENABLE_TAGS)',
        },
        instance: {
          value: graphiteInstance,
          default: { shown: 'none' },
          noFlag: MAPPING_ONLY,
          description: 'one more path segment (a tag when tagged) telling agents of one app apart',
        },
      },
      toConfig: ({ url, ...rest }) => ({ ...rest, url: url.url, target: url.target }),
    }),
    default: { unset: true, shown: 'none' },
    description:
      'push metrics to carbon every batch (docs/telemetry.md); the flag and the variable set graphite.url',
  }),
  setting({
    key: 'pushgateway',
    configKey: 'pushgateway',
    flag: '--pushgateway',
    placeholder: '<url>',
    env: 'SIDESTREAM_PUSHGATEWAY',
    value: mapping({
      shorthand: 'url',
      shorthandForm: 'an http:// URL',
      form: 'URL, or a mapping of the keys below',
      fields: {
        url: {
          value: pushgatewayUrl,
          required: true,
          default: { shown: 'required' },
          noFlag: 'given by --pushgateway and SIDESTREAM_PUSHGATEWAY',
          description: 'the Pushgateway, a path prefix allowed',
        },
        interval: {
          value: duration({ example: '15s', allowZero: false, max: '1h' }),
          default: { shown: 'none (push only on stop)' },
          noFlag: MAPPING_ONLY,
          description: 'also push every this long while running',
        },
      },
      toConfig: ({ url, interval }) => ({ url, ...(interval === undefined ? {} : { intervalMs: interval }) }),
    }),
    default: { unset: true, shown: 'none' },
    description:
      'push metrics to a Prometheus Pushgateway on stop, job = the app (docs/telemetry.md); the flag and the variable set pushgateway.url',
  }),
  setting({
    key: 'httpToken',
    configKey: 'httpToken',
    flag: '--http-token',
    placeholder: '<token>',
    env: 'SIDESTREAM_HTTP_TOKEN',
    value: httpToken,
    default: { unset: true, shown: 'none' },
    secret: true,
    description:
      'bearer token that / and /api/* then require (docs/deployment.md); prefer the variable: other users see flags in ps',
  }),
  setting({
    key: 'logLevel',
    configKey: 'logLevel',
    flag: '--log-level',
    placeholder: '<level>',
    env: 'SIDESTREAM_LOG_LEVEL',
    value: oneOf(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}; for example debug`),
    default: { value: DEFAULT_LOG_LEVEL, shown: DEFAULT_LOG_LEVEL },
    description: 'least severe level of the agent log shown',
  }),
  setting({
    key: 'logFormat',
    configKey: 'logFormat',
    flag: '--log-format',
    placeholder: '<format>',
    env: 'SIDESTREAM_LOG_FORMAT',
    value: oneOf(LOG_FORMATS, "must be 'text' (lines for people) or 'json' (lines for a log shipper)"),
    default: { value: DEFAULT_LOG_FORMAT, shown: DEFAULT_LOG_FORMAT },
    description:
      "the agent log's format: text (lines for people) or json (pino JSON lines for a log shipper)",
  }),
  setting({
    key: 'batchSummaryInterval',
    configKey: 'batchSummaryIntervalMs',
    flag: '--batch-summary-interval',
    placeholder: '<duration>',
    env: 'SIDESTREAM_BATCH_SUMMARY_INTERVAL',
    value: durationOrOff({ example: '60s', min: '1s', max: '24h' }),
    default: { value: DEFAULT_BATCH_SUMMARY_INTERVAL_MS, shown: '60s' },
    description:
      'how often the log gets an info line summarising the batches completed since the last one, when no line per batch is printed (not a terminal, or json); 0 or off: never (docs/deployment.md)',
  }),
] as const;

/** A top-level YAML key: one key of each layer. */
export type ConfigField = (typeof SETTINGS)[number]['key'];

/** The AgentConfig properties no row resolves to; compiling fails below unless there are none. */
type Uncovered = Exclude<keyof AgentConfig, (typeof SETTINGS)[number]['configKey']>;
const everyPropertyHasARow: [Uncovered] extends [never] ? true : Uncovered = true;
void everyPropertyHasARow;

export const CONFIG_FIELDS: readonly ConfigField[] = SETTINGS.map((s) => s.key);

const BY_KEY: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.key, s]));

/** The row of a top-level key; undefined for a key the table does not have. */
export function settingFor(key: string): Setting | undefined {
  return BY_KEY.get(key);
}
