/**
 * StreamingContext: the entry point. Declare inputs and the DStream graph, then start(): the
 * JobGenerator fires every batch interval, the JobScheduler runs each batch's jobs, and every
 * batch leaves a record for listeners, the HTTP API and the optional JSONL batch log.
 */
import { createHash } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import type { DStream } from '../dstream/dstream.js';
import { DStreamGraph } from '../dstream/dstream-graph.js';
import { InputDStream } from '../dstream/input-dstream.js';
import type { InputContext, InputSource } from '../dstream/input-source.js';
import { Lineage, type RddEnv } from '../dstream/rdd.js';
import type { StreamingScope } from '../dstream/scope.js';
import { describeError, isSidestreamError, SidestreamError } from '../errors.js';
import type { Receiver } from '../receiver/receiver.js';
import { type FileTailOptions, FileTailReceiver } from '../sources/file-tail-receiver.js';
import {
  type GeneratedEvent,
  GeneratorSource,
  type GeneratorStreamOptions,
} from '../sources/generator-source.js';
import { KafkaDirectSource } from '../sources/kafka/kafka-direct-source.js';
import type { KafkaDirectStreamOptions } from '../sources/kafka/kafka-direct-stream-options.js';
import { KafkaReceiver, type KafkaReceiverStreamOptions } from '../sources/kafka/kafka-receiver.js';
import type { KafkaRecord } from '../sources/kafka/kafka-record.js';
import { QueueSource, type QueueStreamOptions } from '../sources/queue-source.js';
import { ReceiverSource, type ReceiverStreamOptions } from '../sources/receiver-source.js';
import { SocketReceiver, type SocketReceiverOptions } from '../sources/socket-receiver.js';
import { TextFileSource } from '../sources/text-file-source.js';
import {
  CHECKPOINT_FORMAT_VERSION,
  type CheckpointData,
  CheckpointStore,
  type JobIdentity,
  type ReadCheckpoint,
  type SkippedCheckpoint,
} from '../state/checkpoint-store.js';
import { FileWriteAheadLog } from '../state/file-write-ahead-log.js';
import type { FsyncPolicy, WriteAheadLog } from '../state/write-ahead-log.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { TracingListener } from '../telemetry/tracing.js';
import { UserMetrics } from '../telemetry/user-metrics.js';
import { type Clock, SystemClock } from '../time.js';
import type { BatchInfo, CompletedBatchRecord } from './batch-record.js';
import { type Executor, InProcessExecutor } from './executor.js';
import { JobGenerator } from './job-generator.js';
import { JobScheduler } from './job-scheduler.js';
import { type BackpressureOptions, RateController } from './rate/rate-controller.js';
import { ListenerBus, type StreamingListener, type WalKind } from './streaming-listener.js';
import { TaskScheduler } from './task-scheduler.js';

export type BatchFailurePolicy = 'stop' | 'continue';

export interface StreamingContextOptions {
  appName: string;
  /** Batch interval in milliseconds: a positive whole number. */
  batchIntervalMs: number;
  /**
   * Enables metadata checkpoints (docs/checkpoints.md): after completed batches the graph's
   * state goes to `<checkpointDir>/checkpoints/`, and StreamingContext.getOrCreate recovers
   * from it. Direct Kafka streams keep their offset log here too.
   */
  checkpointDir?: string;
  /**
   * How often a checkpoint is written: a multiple of the batch interval; default the batch
   * interval (one per completed batch, as Spark). Recovery re-runs the completed batches after
   * the last checkpoint, so a longer interval means more re-run (at-least-once) outputs.
   */
  checkpointIntervalMs?: number;
  /** Checkpoint files kept (the newest N); default 10. Older ones are the fallback when the newest is damaged. */
  checkpointsRetained?: number;
  /** The job that declares this graph (the agent passes the module path and its sha256). */
  job?: JobIdentity;
  /** Resolved configuration recorded in each checkpoint for diagnosis (never read back). */
  configSnapshot?: Readonly<Record<string, unknown>>;
  /** Recover even when the checkpoint was written by a job with another hash (what matches is restored). */
  allowJobChange?: boolean;
  /** Attempts per task before its output operation fails; default 4 (Spark's default). */
  maxTaskFailures?: number;
  /**
   * What a failed batch does: 'stop' (default) stops the context and awaitTermination() rejects
   * with the failure, as Spark surfaces a job error; 'continue' records it and goes on.
   */
  onBatchFailure?: BatchFailurePolicy;
  /** Partitions for inputs and shuffles when none is given; default: the machine's cores. */
  defaultParallelism?: number;
  /** Completed batch records kept for recentBatches() and GET /api/batches; default 1000. */
  retainedBatches?: number;
  /** Append every completed batch record as one JSON line to this file. */
  batchLogPath?: string;
  clock?: Clock;
  executor?: Executor;
  /**
   * Internal, for executor worker threads: keep every stream-generated RDD by its lineage key
   * so a task can find the RDD it computes (see docs/design/executors.md).
   */
  lineageRegistry?: boolean;
  /** Where print() writes; default process.stdout. */
  output?: (text: string) => void;
  /**
   * The registry `ssc.metrics` declares user metrics on (and the agent serves on /metrics);
   * default: one created on first use, reachable as `ssc.metrics.registry`.
   */
  metricsRegistry?: MetricsRegistry;
  /**
   * The receivers' write-ahead logs (on when `checkpointDir` is set): the fsync policy, default
   * `{ mode: 'always' }` (see FsyncPolicy for what each mode risks), and the segment roll interval.
   */
  writeAheadLog?: { fsync?: FsyncPolicy; rollIntervalMs?: number };
  /**
   * OpenTelemetry spans per batch, output operation and task attempt through
   * `@opentelemetry/api` (no-ops unless the application registers an SDK); default true.
   */
  tracing?: boolean;
}

export type ContextState = 'initialized' | 'active' | 'stopping' | 'stopped';

/** What a recovery from a checkpoint did; set once start() has rescheduled the batches. */
export interface RecoveryReport {
  readonly checkpointFile: string;
  /** The completed batch the checkpoint describes. */
  readonly checkpointTimeMs: number;
  /** Newer checkpoint files that could not be used, and why. */
  readonly skipped: readonly SkippedCheckpoint[];
  /** Batches generated but not completed when the checkpoint was taken (or logged by an input). */
  readonly pendingTimesMs: readonly number[];
  /** Batch times that fell due while the context was down. */
  readonly downTimesMs: readonly number[];
  /** Every batch time generated again before the timer's first one, in order. */
  readonly rescheduledTimesMs: readonly number[];
  /** Stream keys (`<index>:<operator>`) whose remembered RDDs were restored. */
  readonly restoredStreams: readonly string[];
  /** Checkpointed streams the current graph does not have (a changed job): dropped. */
  readonly droppedStreams: readonly string[];
  /** Streams of the current graph with nothing in the checkpoint: they start empty. */
  readonly emptyStreams: readonly string[];
  /** True when the job's hash differed and allowJobChange accepted it. */
  readonly jobChanged: boolean;
}

export interface GetOrCreateOptions {
  /** Overrides the created context's allowJobChange. */
  allowJobChange?: boolean;
}

export interface StopOptions {
  /** Finish every generated batch first (default false: queued batches are dropped). */
  graceful?: boolean;
  /** Upper bound on the wait for in-flight batches; default 10 s. */
  timeoutMs?: number;
}

export class StreamingContext implements StreamingScope {
  readonly appName: string;
  readonly batchIntervalMs: number;
  readonly checkpointDir: string | undefined;
  readonly maxTaskFailures: number;
  readonly onBatchFailure: BatchFailurePolicy;
  readonly defaultParallelism: number;
  readonly clock: Clock;
  readonly graph = new DStreamGraph();
  readonly rddEnv: RddEnv;
  /** User metrics: counter/gauge/histogram exported with the catalogue's (docs/telemetry.md). */
  readonly metrics: UserMetrics;

  private readonly bus = new ListenerBus();
  private readonly executor: Executor;
  private readonly tasks: TaskScheduler;
  private readonly scheduler: JobScheduler;
  private readonly generator: JobGenerator;
  private readonly retained: CompletedBatchRecord[] = [];
  private readonly retainedLimit: number;
  private readonly batchLogPath: string | undefined;
  private readonly output: (text: string) => void;
  private batchLog: Promise<void> = Promise.resolve();
  private current: ContextState = 'initialized';
  private completedBatches = 0;
  private failure: unknown;
  private terminated!: () => void;
  private readonly termination: Promise<void>;
  private rddIds = 0;
  private readonly walOptions: { fsync?: FsyncPolicy; rollIntervalMs?: number };
  private readonly checkpointStore: CheckpointStore | undefined;
  private readonly checkpointIntervalMs: number;
  private readonly job: JobIdentity | undefined;
  private readonly configSnapshot: Readonly<Record<string, unknown>> | undefined;
  private readonly allowJobChange: boolean;
  private recoverFrom: { found: ReadCheckpoint; jobChanged: boolean } | undefined;
  private recovered: RecoveryReport | undefined;
  /** Batch log appends that failed; the batch itself is unaffected. */
  batchLogErrors = 0;

  constructor(options: StreamingContextOptions) {
    const interval = options.batchIntervalMs;
    if (!Number.isInteger(interval) || interval <= 0) {
      throw new SidestreamError(
        'SS_BATCH_INTERVAL_INVALID',
        `batch interval must be a positive whole number of milliseconds (got ${interval}); for example 1000 for 1s`,
      );
    }
    const maxTaskFailures = options.maxTaskFailures ?? 4;
    if (!Number.isInteger(maxTaskFailures) || maxTaskFailures < 1) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `maxTaskFailures must be a whole number >= 1 (got ${maxTaskFailures})`,
      );
    }
    if (!options.appName || /\s/.test(options.appName)) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `appName must be a non-empty name without spaces (got '${options.appName}')`,
      );
    }
    const checkpointInterval = options.checkpointIntervalMs ?? interval;
    if (
      !Number.isInteger(checkpointInterval) ||
      checkpointInterval <= 0 ||
      checkpointInterval % interval !== 0
    ) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `checkpointIntervalMs must be a positive multiple of the batch interval ${interval} ms (got ${checkpointInterval}); for example ${interval * 10}`,
      );
    }
    this.checkpointIntervalMs = checkpointInterval;
    this.appName = options.appName;
    this.batchIntervalMs = interval;
    this.checkpointDir = options.checkpointDir;
    this.checkpointStore =
      options.checkpointDir === undefined
        ? undefined
        : new CheckpointStore(options.checkpointDir, options.checkpointsRetained);
    this.graph.checkpointing = this.checkpointStore !== undefined;
    this.job = options.job;
    this.configSnapshot = options.configSnapshot;
    this.allowJobChange = options.allowJobChange ?? false;
    this.maxTaskFailures = maxTaskFailures;
    this.onBatchFailure = options.onBatchFailure ?? 'stop';
    this.defaultParallelism = Math.max(1, options.defaultParallelism ?? availableParallelism());
    this.clock = options.clock ?? new SystemClock();
    this.retainedLimit = options.retainedBatches ?? 1000;
    this.batchLogPath = options.batchLogPath;
    this.walOptions = options.writeAheadLog ?? {};
    this.output = options.output ?? ((text) => process.stdout.write(text));
    this.executor = options.executor ?? new InProcessExecutor();
    this.tasks = new TaskScheduler(this.executor, this.bus, maxTaskFailures, this.clock);
    this.metrics = new UserMetrics(this.appName, options.metricsRegistry);
    if (options.lineageRegistry) this.metrics.startRecording();
    this.executor.attachUserMetrics?.(this.metrics);
    if (options.tracing !== false) this.bus.add(new TracingListener());
    this.rddEnv = {
      tasks: this.tasks,
      nextRddId: () => ++this.rddIds,
      lineage: new Lineage(options.lineageRegistry ?? false),
    };
    this.scheduler = new JobScheduler({
      clock: this.clock,
      bus: this.bus,
      tasks: this.tasks,
      onBatchDone: (info, failure, recovered) => this.batchDone(info, failure, recovered),
    });
    this.generator = new JobGenerator({
      app: this.appName,
      clock: this.clock,
      graph: this.graph,
      batchIntervalMs: interval,
      scheduler: this.scheduler,
      onError: (error, _command, timeMs) =>
        this.fail(
          new SidestreamError(
            'SS_SOURCE_FAILED',
            `generating batch ${timeMs} failed: ${describeError(error)}`,
            {
              cause: error,
            },
          ),
        ),
    });
    this.termination = new Promise<void>((resolve) => {
      this.terminated = resolve;
    });
  }

  get state(): ContextState {
    return this.current;
  }

  /**
   * Recover or create (Spark's getOrCreate). Reads the newest usable checkpoint in
   * `checkpointDir`; either way `create()` declares the graph (our graphs are code, so a recovery
   * rebuilds the same graph by calling it again). With a checkpoint, the created context is
   * checked against it (app name, batch interval, parallelism: SS_CHECKPOINT_INCOMPATIBLE; job
   * hash: SS_JOB_CHANGED unless allowJobChange) and start() resumes from it: state restored,
   * pending and down-time batches generated first. Without one the context starts fresh.
   */
  static async getOrCreate(
    checkpointDir: string,
    create: () => StreamingContext | Promise<StreamingContext>,
    options: GetOrCreateOptions = {},
  ): Promise<StreamingContext> {
    const found = await new CheckpointStore(checkpointDir).read();
    const ssc = await create();
    if (ssc.checkpointDir === undefined || resolvePath(ssc.checkpointDir) !== resolvePath(checkpointDir)) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `getOrCreate(${checkpointDir}): the context create() returned has checkpointDir ${ssc.checkpointDir ?? 'unset'}; ` +
          'create it with the same checkpointDir',
      );
    }
    if (found) ssc.prepareRecovery(found, options.allowJobChange ?? ssc.allowJobChange);
    return ssc;
  }

  private prepareRecovery(found: ReadCheckpoint, allowJobChange: boolean): void {
    const data = found.data;
    const mismatch = (what: string, was: unknown, now: unknown) =>
      new SidestreamError(
        'SS_CHECKPOINT_INCOMPATIBLE',
        `checkpoint ${found.file} was written with ${what} ${String(was)} but the context has ${String(now)}; ` +
          `start with ${what} ${String(was)}, or point checkpointDir at a new directory (state starts empty)`,
      );
    if (data.appName !== this.appName) throw mismatch('app name', data.appName, this.appName);
    if (data.batchIntervalMs !== this.batchIntervalMs)
      throw mismatch('batch interval (ms)', data.batchIntervalMs, this.batchIntervalMs);
    // State partitions are keyed by hash modulo the partition count: another count would misplace keys.
    if (data.defaultParallelism !== this.defaultParallelism)
      throw mismatch('defaultParallelism', data.defaultParallelism, this.defaultParallelism);
    let jobChanged = false;
    if (data.job && this.job && data.job.sha256 !== this.job.sha256) {
      if (!allowJobChange) {
        throw new SidestreamError(
          'SS_JOB_CHANGED',
          `job ${this.job.path} (sha256 ${this.job.sha256.slice(0, 12)}) differs from the job that wrote checkpoint ` +
            `${found.file} (${data.job.path}, sha256 ${data.job.sha256.slice(0, 12)}); restart with --allow-job-change ` +
            '(SIDESTREAM_ALLOW_JOB_CHANGE=true) to restore what still matches, or use a new checkpoint directory',
        );
      }
      jobChanged = true;
    }
    this.recoverFrom = { found, jobChanged };
  }

  /** Set once start() recovered from a checkpoint: what it restored and rescheduled. */
  get recovery(): RecoveryReport | undefined {
    return this.recovered;
  }

  /** Whether start() will resume from a checkpoint (getOrCreate found one). */
  get recovering(): boolean {
    return this.recoverFrom !== undefined;
  }

  // ---- StreamingScope ---------------------------------------------------------------------------

  assertDeclarable(what: string): void {
    if (this.current !== 'initialized') {
      throw new SidestreamError(
        'SS_CONTEXT_STATE',
        `${what} after the context started is not supported; declare the whole graph before start()`,
      );
    }
  }

  writeOutput(text: string): void {
    this.output(text);
  }

  // ---- inputs -----------------------------------------------------------------------------------

  /** A stream over any InputSource (the plug-in point the built-in inputs use). */
  inputStream<T>(source: InputSource<T>): DStream<T> {
    this.assertDeclarable('adding an input stream');
    return new InputDStream(this, source);
  }

  /** One array per batch, taken in order; push more arrays to `batches` at any time. */
  queueStream<T>(batches: T[][], options?: QueueStreamOptions<T>): DStream<T> {
    return this.inputStream(new QueueSource(batches, options));
  }

  /** Embedded synthetic keyed events with event times: the default source of the demo. */
  generatorStream(options: GeneratorStreamOptions): DStream<GeneratedEvent> {
    return this.inputStream(new GeneratorSource(options));
  }

  /**
   * Lines of text from a TCP server (the agent connects as a client), through a receiver:
   * blocks, the write-ahead log when a checkpoint directory is set, and `ack` to acknowledge
   * stored lines to the sender (see SocketReceiver).
   */
  socketTextStream(
    host: string,
    port: number,
    options: ReceiverStreamOptions<string> &
      SocketReceiverOptions & { backpressure?: BackpressureOptions | boolean } = {},
  ): DStream<string> {
    const receiver = new SocketReceiver(host, port, options.ack === undefined ? {} : { ack: options.ack });
    return this.receiverInput(`socket:${host}:${port}`, receiver, options);
  }

  /**
   * Lines appended to one file, followed like `tail -F` through rotation and truncation, via a
   * receiver (blocks, write-ahead log). With a checkpoint directory the read position is saved
   * once the lines before it are stored, so a restart continues where it stopped.
   */
  fileTailStream(
    path: string,
    options: FileTailOptions &
      ReceiverStreamOptions<string> & { backpressure?: BackpressureOptions | boolean } = {},
  ): DStream<string> {
    const positionFile =
      this.checkpointDir === undefined
        ? undefined
        : join(
            this.checkpointDir,
            'tail-positions',
            `${createHash('sha256').update(path).digest('hex').slice(0, 16)}.json`,
          );
    return this.receiverInput(
      `file-tail:${path}`,
      new FileTailReceiver(path, positionFile, options),
      options,
    );
  }

  /** Lines of files moved into `dir` after start. */
  textFileStream(dir: string): DStream<string> {
    return this.inputStream(new TextFileSource(dir));
  }

  /**
   * Kafka, the direct approach: each batch reads exactly the offset ranges planned for it, logged
   * under the checkpoint directory before the batch runs and committed after it (see
   * KafkaDirectSource). With `backpressure`, a PID rate estimator caps how much a batch reads.
   */
  kafkaDirectStream<V = string | null>(
    options: KafkaDirectStreamOptions<V> & { backpressure?: BackpressureOptions | boolean },
  ): DStream<KafkaRecord<V>> {
    this.assertDeclarable('adding an input stream');
    let controller: RateController | undefined;
    const source = new KafkaDirectSource<V>(options, {
      ...(this.checkpointDir === undefined ? {} : { checkpointDir: this.checkpointDir }),
      rate: () => controller?.rate(),
    });
    const stream = new InputDStream(this, source);
    controller = this.attachBackpressure(stream.streamId, source.name, options.backpressure);
    return stream;
  }

  /**
   * Kafka through a receiver (Spark's reliable receiver): a group consumer whose batches are
   * written to the write-ahead log before their offsets are committed. At-least-once; prefer
   * kafkaDirectStream for exactly-once (docs/kafka.md compares them).
   */
  kafkaReceiverStream<V = string | null>(
    options: KafkaReceiverStreamOptions<V> &
      Omit<ReceiverStreamOptions<KafkaRecord<V>>, 'eventTime'> & {
        backpressure?: BackpressureOptions | boolean;
      },
  ): DStream<KafkaRecord<V>> {
    const eventTime = options.eventTime ?? ((r: KafkaRecord<V>) => r.timestamp);
    return this.receiverInput(`kafka-receiver:${options.topics.join(',')}`, new KafkaReceiver<V>(options), {
      ...options,
      eventTime,
    });
  }

  /** A stream fed by a user-defined Receiver (blocks, write-ahead log, backpressure as configured). */
  receiverStream<T>(
    receiver: Receiver<T>,
    options: ReceiverStreamOptions<T> & { name?: string; backpressure?: BackpressureOptions | boolean } = {},
  ): DStream<T> {
    return this.receiverInput(options.name ?? 'receiver', receiver, options);
  }

  private receiverInput<T>(
    name: string,
    receiver: Receiver<T>,
    options: ReceiverStreamOptions<T> & { backpressure?: BackpressureOptions | boolean },
  ): DStream<T> {
    this.assertDeclarable('adding an input stream');
    let controller: RateController | undefined;
    const source = new ReceiverSource<T>(name, receiver, options, () => controller?.rate());
    const stream = new InputDStream(this, source);
    controller = this.attachBackpressure(stream.streamId, source.name, options.backpressure);
    return stream;
  }

  /** A PID rate controller for the stream when backpressure is asked for (Spark's RateController). */
  private attachBackpressure(
    streamId: number,
    name: string,
    backpressure: BackpressureOptions | boolean | undefined,
  ): RateController | undefined {
    if (!backpressure) return undefined;
    const settings = backpressure === true ? {} : backpressure;
    const controller = new RateController(streamId, this.batchIntervalMs, settings, (ratePerSec) =>
      this.bus.post('onSourceEvent', { type: 'rate-changed', streamId, stream: name, ratePerSec }),
    );
    this.bus.add(controller);
    return controller;
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Validates the graph, starts the inputs, then the batch timer. */
  async start(): Promise<void> {
    if (this.current !== 'initialized') {
      throw new SidestreamError(
        'SS_CONTEXT_STATE',
        `start() on a context that is ${this.current}; create a new context`,
      );
    }
    if (this.graph.outputs.length === 0) {
      throw new SidestreamError(
        'SS_NO_OUTPUT_OPERATIONS',
        'the job declares no output operation, so nothing would run; add foreachRDD, print or saveAsTextFiles to a stream',
      );
    }
    this.current = 'active';
    try {
      for (const stream of this.graph.inputs) await stream.source.start(this.inputContext(stream));
      if (this.recoverFrom) this.restartFromCheckpoint(this.recoverFrom.found, this.recoverFrom.jobChanged);
      else this.generator.start();
    } catch (error) {
      this.current = 'stopped';
      await this.stopInputs();
      this.terminated();
      throw error;
    }
  }

  /**
   * Spark's JobGenerator.restart: the batches to generate again are the checkpoint's pending
   * ones, the ones inputs logged durably but never completed, and every batch time that fell due
   * while the context was down; all after the checkpoint's time and before the timer's next.
   */
  private restartFromCheckpoint(found: ReadCheckpoint, jobChanged: boolean): void {
    const data = found.data;
    const interval = this.batchIntervalMs;
    const next = (Math.floor(this.clock.now() / interval) + 1) * interval;
    const after = (t: number) => t > data.batchTimeMs && t < next && (t - data.zeroTimeMs) % interval === 0;
    const downTimes: number[] = [];
    for (let t = data.batchTimeMs + interval; t < next; t += interval) downTimes.push(t);
    const fromInputs = this.graph.inputs.flatMap((s) => [...(s.source.recoveredBatchTimes?.() ?? [])]);
    const pending = [...new Set([...data.pendingTimesMs, ...fromInputs])].filter(after).sort((a, b) => a - b);
    const times = [...new Set([...pending, ...downTimes])].filter(after).sort((a, b) => a - b);
    let restore = {
      restored: [] as readonly string[],
      dropped: [] as readonly string[],
      empty: [] as readonly string[],
    };
    this.generator.restart(data.zeroTimeMs, times, () => {
      restore = this.graph.restoreCheckpoint(data.streams, this.rddEnv);
    });
    this.recovered = {
      checkpointFile: found.file,
      checkpointTimeMs: data.batchTimeMs,
      skipped: found.skipped,
      pendingTimesMs: pending,
      downTimesMs: downTimes.filter((t) => !pending.includes(t)),
      rescheduledTimesMs: times,
      restoredStreams: restore.restored,
      droppedStreams: restore.dropped,
      emptyStreams: restore.empty,
      jobChanged,
    };
  }

  private inputContext(stream: InputDStream<unknown>): InputContext {
    const event = (message?: string) => ({
      streamId: stream.streamId,
      name: stream.source.name,
      ...(message === undefined ? {} : { message }),
    });
    return {
      streamId: stream.streamId,
      batchIntervalMs: this.batchIntervalMs,
      defaultParallelism: this.defaultParallelism,
      rddEnv: this.rddEnv,
      clock: this.clock,
      ...(this.recoverFrom ? { recoveringFromCheckpointMs: this.recoverFrom.found.data.batchTimeMs } : {}),
      ...(this.executor.readsInputs ? { executorsReadInputs: true } : {}),
      report: (event) => this.bus.post('onSourceEvent', event),
      ...(this.checkpointDir === undefined
        ? {}
        : { openWriteAheadLog: (dir: string, kind: WalKind) => this.openWriteAheadLog(dir, kind) }),
      receiver: {
        started: () => this.bus.post('onReceiverStarted', event()),
        error: (message) => this.bus.post('onReceiverError', event(message)),
        stopped: (reason) => this.bus.post('onReceiverStopped', event(reason)),
        blockStored: (numRecords, bytes, durable) =>
          this.bus.post('onBlockStored', {
            streamId: stream.streamId,
            name: stream.source.name,
            numRecords,
            bytes,
            durable,
          }),
      },
    };
  }

  /**
   * Graceful: receivers stop taking data, one last batch takes what they stored, and every
   * generated batch runs. Otherwise: batch generation stops, queued batches are dropped and only
   * the running one is waited for. Either wait is bounded by `timeoutMs`.
   * Resolves to false when the bound was hit (a batch may still be running).
   */
  async stop(options: StopOptions = {}): Promise<boolean> {
    if (this.current === 'stopped' || this.current === 'initialized') {
      this.current = 'stopped';
      this.terminated();
      return true;
    }
    if (this.current === 'stopping') {
      await this.termination.catch(() => {});
      return true;
    }
    this.current = 'stopping';
    const timeoutMs = options.timeoutMs ?? 10_000;
    let drained = true;
    const drain = (async () => {
      if (options.graceful) {
        // Spark's order: receivers stop taking data first, then one more batch is generated so
        // that everything they had already stored is processed, then the timer stops.
        for (const stream of this.graph.inputs) await stream.source.stopReceiving?.();
        await this.generator.generatedThrough(this.clock.now());
      }
      await this.generator.stop();
      if (!options.graceful) this.scheduler.discardQueued();
      await this.scheduler.whenIdle();
    })();
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    if ((await Promise.race([drain, limit])) === 'timeout') drained = false;
    clearTimeout(timer);
    this.scheduler.discardQueued();
    await this.stopInputs();
    await this.executor.close();
    await this.batchLog;
    this.current = 'stopped';
    this.terminated();
    return drained;
  }

  /** A receiver's write-ahead log under the checkpoint directory; its events go to listeners. */
  private async openWriteAheadLog(relativeDir: string, kind: WalKind): Promise<WriteAheadLog> {
    const dir = join(this.checkpointDir!, relativeDir);
    const post = this.bus.post.bind(this.bus);
    try {
      return await FileWriteAheadLog.open(dir, {
        ...this.walOptions,
        events: {
          onWrite: (records, bytes, durationMs) =>
            post('onWalWritten', { log: kind, records, bytes, durationMs }),
          onError: (op, error) => post('onWalError', { log: kind, op, message: describeError(error) }),
          onTruncated: (t) =>
            post('onWalError', {
              log: kind,
              op: 'recover',
              message: `${t.segment}: truncated at byte ${t.offset} (${t.droppedBytes} bytes dropped): ${t.reason}`,
              droppedBytes: t.droppedBytes,
            }),
        },
      });
    } catch (error) {
      if (error instanceof SidestreamError) throw error;
      throw new SidestreamError(
        'SS_CHECKPOINT_DIR_UNUSABLE',
        `cannot open the write-ahead log in ${dir}: ${describeError(error)}; point --checkpoint-dir at a writable directory`,
        { cause: error },
      );
    }
  }

  private async stopInputs(): Promise<void> {
    for (const stream of this.graph.inputs) {
      try {
        await stream.source.stop();
      } catch {
        // A source that fails to stop must not keep the others running.
      }
    }
  }

  /** Resolves when the context stops; rejects with the error that stopped it, if any. */
  async awaitTermination(): Promise<void> {
    await this.termination;
    if (this.failure !== undefined) throw this.failure;
  }

  // ---- observability ------------------------------------------------------------------------------

  /** Subscribes a listener; returns the function that unsubscribes it. */
  addStreamingListener(listener: StreamingListener): () => void {
    return this.bus.add(listener);
  }

  /** Completed batch records, newest first. */
  recentBatches(limit = this.retainedLimit): CompletedBatchRecord[] {
    return this.retained.slice(-limit).reverse();
  }

  /** Batches generated but not yet started. */
  get batchesWaiting(): number {
    return this.scheduler.waiting;
  }

  /** Every input is connected and at least one batch has completed. */
  get ready(): boolean {
    return (
      this.current === 'active' &&
      this.completedBatches > 0 &&
      this.graph.inputs.every((s) => s.source.connected !== false)
    );
  }

  get listenerErrors(): number {
    return this.bus.errors;
  }

  // ---- internals -------------------------------------------------------------------------------------

  private async batchDone(info: BatchInfo, failure: unknown, recovered: boolean): Promise<void> {
    const record = info.toRecord() as CompletedBatchRecord;
    this.completedBatches++;
    this.retained.push(record);
    if (this.retained.length > this.retainedLimit)
      this.retained.splice(0, this.retained.length - this.retainedLimit);
    this.bus.post('onBatchCompleted', record);
    if (this.batchLogPath) {
      const path = this.batchLogPath;
      this.batchLog = this.batchLog.then(() =>
        appendFile(path, `${JSON.stringify(record)}\n`).catch(() => {
          this.batchLogErrors++;
        }),
      );
    }
    if (failure === undefined && this.isCheckpointTime(info.batchTime)) await this.checkpoint(info.batchTime);
    this.generator.post({ kind: 'clear-metadata', timeMs: info.batchTime });
    if (failure !== undefined && !recovered && this.onBatchFailure === 'stop') {
      const reason =
        record.outputOperations.find((o) => o.failureReason)?.failureReason ?? describeError(failure);
      this.fail(
        new SidestreamError(
          'SS_BATCH_FAILED',
          `batch ${info.batchTime} failed and onBatchFailure is 'stop': ${reason}`,
          {
            cause: failure,
          },
        ),
      );
    }
  }

  private isCheckpointTime(batchTimeMs: number): boolean {
    const zero = this.graph.zeroTimeMs;
    return (
      this.checkpointStore !== undefined &&
      zero !== undefined &&
      (batchTimeMs - zero) % this.checkpointIntervalMs === 0
    );
  }

  /**
   * Writes the checkpoint of completed batch `batchTimeMs` before the next batch may start (the
   * scheduler waits for this), then tells the inputs what they may clean. A write that fails
   * halts the scheduler and stops the context: no later batch commits, no input is told to
   * clean anything past the last durable checkpoint.
   */
  private async checkpoint(batchTimeMs: number): Promise<void> {
    const store = this.checkpointStore!;
    const started = this.clock.now();
    // Captured synchronously, before the clear-metadata of this batch can run.
    const captured = this.graph.captureCheckpoint(batchTimeMs);
    const pending = this.scheduler.queuedTimes().filter((t) => t > batchTimeMs);
    try {
      const streams = await DStreamGraph.materializeCheckpoint(captured);
      const data: CheckpointData = {
        formatVersion: CHECKPOINT_FORMAT_VERSION,
        appName: this.appName,
        batchIntervalMs: this.batchIntervalMs,
        checkpointIntervalMs: this.checkpointIntervalMs,
        defaultParallelism: this.defaultParallelism,
        ...(this.job ? { job: this.job } : {}),
        ...(this.configSnapshot ? { config: this.configSnapshot } : {}),
        zeroTimeMs: this.graph.zeroTimeMs!,
        batchTimeMs,
        pendingTimesMs: pending,
        writtenAtMs: started,
        streams,
      };
      const { bytes } = await store.write(data);
      const now = this.clock.now();
      this.bus.post('onCheckpointWritten', {
        batchTime: batchTimeMs,
        time: now,
        bytes,
        durationMs: now - started,
      });
    } catch (error) {
      const failure = isSidestreamError(error, 'SS_CHECKPOINT_WRITE_FAILED')
        ? error
        : new SidestreamError(
            'SS_CHECKPOINT_WRITE_FAILED',
            `cannot write the checkpoint of batch ${batchTimeMs} in ${store.dir}: ${describeError(error)}; ` +
              'state values must be structured-cloneable (docs/checkpoints.md). The context stops',
            { cause: error },
          );
      this.bus.post('onCheckpointFailed', { batchTime: batchTimeMs, message: failure.message });
      this.scheduler.halt();
      this.fail(failure);
      return;
    }
    let cleanBefore = batchTimeMs;
    for (const c of captured) for (const [t] of c.rdds) cleanBefore = Math.min(cleanBefore, t);
    for (const stream of this.graph.inputs) {
      try {
        await stream.source.checkpointed?.(batchTimeMs, cleanBefore);
      } catch (error) {
        // Cleaning is housekeeping: the checkpoint is durable whatever the input does with it.
        this.bus.post('onReceiverError', {
          streamId: stream.streamId,
          name: stream.source.name,
          message: `cleaning after checkpoint ${batchTimeMs} failed: ${describeError(error)}`,
        });
      }
    }
  }

  /**
   * Records the first fatal error and stops without waiting for queued batches. A batch that
   * could not be generated (an input failed) always lands here, whatever onBatchFailure says:
   * its input may be partly consumed, so going on silently could lose data (Spark's reportError).
   */
  private fail(error: SidestreamError): void {
    this.failure ??= error;
    if (this.current === 'active') void this.stop({ graceful: false });
  }
}
