/**
 * StreamingEngine: module 2 around one declared graph. It owns the listener bus, the task
 * scheduler, the JobGenerator (the batch timer) and the JobScheduler (one batch at a time), the
 * lifecycle (start, graceful or immediate stop, termination), the recent batch records and the
 * recovery from a metadata checkpoint. It knows no concrete input, no telemetry and no agent:
 * StreamingContext (src/streaming-context.ts) is the facade that adds the input factories, user
 * metrics, tracing and the batch log on top of it.
 */
import { join, resolve as resolvePath } from 'node:path';
import type { DStream } from '../dstream/dstream.js';
import { DStreamGraph } from '../dstream/dstream-graph.js';
import { InputDStream } from '../dstream/input-dstream.js';
import type { InputContext, InputSource } from '../dstream/input-source.js';
import { Lineage, type RddEnv } from '../dstream/rdd.js';
import type { StreamingScope } from '../dstream/scope.js';
import { describeError, SidestreamError } from '../errors.js';
import type { CompletedBatchRecord } from '../events/batch-events.js';
import type { WalKind } from '../events/durability-events.js';
import type { StreamingListener } from '../events/streaming-listener.js';
import { CheckpointStore, type ReadCheckpoint } from '../state/checkpoint-store.js';
import { FileWriteAheadLog } from '../state/file-write-ahead-log.js';
import type { WriteAheadLog } from '../state/write-ahead-log.js';
import type { Clock } from '../time.js';
import { Checkpointer } from './checkpointer.js';
import {
  type BatchFailurePolicy,
  type EngineOptions,
  type EngineSettings,
  engineSettings,
} from './engine-options.js';
import { JobGenerator } from './job-generator.js';
import { JobScheduler } from './job-scheduler.js';
import { ListenerBus } from './listener-bus.js';
import { type BackpressureOptions, RateController } from './rate/rate-controller.js';
import { judgeReadiness, OVERDUE_AFTER_INTERVALS, type Readiness } from './readiness.js';
import { checkRecoverable, type RecoveryReport, restartTimes } from './recovery-plan.js';
import type { RunningBatch } from './running-batch.js';
import { TaskScheduler } from './task-scheduler.js';

export type ContextState = 'initialized' | 'active' | 'stopping' | 'stopped';

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

/** What addInput returns: the stream, and the rate bound backpressure sets for it (if any). */
export interface AddedInput<T> {
  readonly stream: InputDStream<T>;
  /** The current backpressure rate, records/s; undefined without backpressure or before it spoke. */
  readonly rate: () => number | undefined;
}

export class StreamingEngine implements StreamingScope {
  readonly appName: string;
  readonly batchIntervalMs: number;
  readonly checkpointDir: string | undefined;
  readonly maxTaskFailures: number;
  readonly onBatchFailure: BatchFailurePolicy;
  readonly defaultParallelism: number;
  readonly clock: Clock;
  readonly graph = new DStreamGraph();
  readonly rddEnv: RddEnv;

  private readonly settings: EngineSettings;
  protected readonly bus = new ListenerBus();
  private readonly tasks: TaskScheduler;
  private readonly scheduler: JobScheduler;
  private readonly generator: JobGenerator;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly retained: CompletedBatchRecord[] = [];
  private current: ContextState = 'initialized';
  private completedBatches = 0;
  private failure: unknown;
  private terminated: () => void = () => {};
  private readonly termination: Promise<void>;
  private rddIds = 0;
  private recoverFrom: { found: ReadCheckpoint; jobChanged: boolean } | undefined;
  private recovered: RecoveryReport | undefined;
  /** Run when the context has stopped, after the inputs and the executor (the facade's batch log). */
  protected readonly onStopped: (() => Promise<void>)[] = [];

  constructor(options: EngineOptions) {
    const settings = engineSettings(options);
    this.settings = settings;
    this.appName = settings.appName;
    this.batchIntervalMs = settings.batchIntervalMs;
    this.checkpointDir = settings.checkpointDir;
    this.maxTaskFailures = settings.maxTaskFailures;
    this.onBatchFailure = settings.onBatchFailure;
    this.defaultParallelism = settings.defaultParallelism;
    this.clock = settings.clock;
    this.graph.checkpointing = settings.checkpointDir !== undefined;
    this.tasks = new TaskScheduler(settings.executor, this.bus, settings.maxTaskFailures, this.clock);
    this.rddEnv = {
      tasks: this.tasks,
      nextRddId: () => ++this.rddIds,
      lineage: new Lineage(settings.lineageRegistry),
    };
    this.checkpointer =
      settings.checkpointDir === undefined
        ? undefined
        : new Checkpointer({
            store: new CheckpointStore(settings.checkpointDir, settings.checkpointsRetained),
            graph: this.graph,
            bus: this.bus,
            clock: this.clock,
            appName: settings.appName,
            batchIntervalMs: settings.batchIntervalMs,
            checkpointIntervalMs: settings.checkpointIntervalMs,
            defaultParallelism: settings.defaultParallelism,
            job: settings.job,
            configSnapshot: settings.configSnapshot,
          });
    this.scheduler = new JobScheduler({
      clock: this.clock,
      bus: this.bus,
      tasks: this.tasks,
      onBatchDone: (batch, failure, recovered) => this.batchDone(batch, failure, recovered),
    });
    this.generator = new JobGenerator({
      app: this.appName,
      clock: this.clock,
      graph: this.graph,
      batchIntervalMs: settings.batchIntervalMs,
      scheduler: this.scheduler,
      overdueAfterMs: OVERDUE_AFTER_INTERVALS * settings.batchIntervalMs,
      onOverdue: (event) => this.bus.post('onBatchOverdue', event),
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
  static async getOrCreate<C extends StreamingEngine>(
    checkpointDir: string,
    create: () => C | Promise<C>,
    options: GetOrCreateOptions = {},
  ): Promise<C> {
    const found = await new CheckpointStore(checkpointDir).read();
    const ssc = await create();
    if (ssc.checkpointDir === undefined || resolvePath(ssc.checkpointDir) !== resolvePath(checkpointDir)) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `getOrCreate(${checkpointDir}): the context create() returned has checkpointDir ${ssc.checkpointDir ?? 'unset'}; ` +
          'create it with the same checkpointDir',
      );
    }
    if (found) ssc.prepareRecovery(found, options.allowJobChange ?? ssc.settings.allowJobChange);
    return ssc;
  }

  private prepareRecovery(found: ReadCheckpoint, allowJobChange: boolean): void {
    const { jobChanged } = checkRecoverable(found, this.settings, allowJobChange);
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
    this.settings.output(text);
  }

  // ---- inputs -----------------------------------------------------------------------------------

  /** A stream over any InputSource (the plug-in point the built-in inputs use). */
  inputStream<T>(source: InputSource<T>): DStream<T> {
    return this.addInput(source).stream;
  }

  /**
   * Adds an input; with `backpressure`, a PID rate controller (Spark's RateController) listens to
   * completed batches and `rate()` gives the bound the source should plan or receive with.
   */
  addInput<T>(source: InputSource<T>, backpressure?: BackpressureOptions | boolean): AddedInput<T> {
    this.assertDeclarable('adding an input stream');
    const stream = new InputDStream(this, source);
    if (!backpressure) return { stream, rate: () => undefined };
    const controller = new RateController(
      stream.streamId,
      this.batchIntervalMs,
      backpressure === true ? {} : backpressure,
      (ratePerSec) =>
        this.bus.post('onSourceEvent', {
          type: 'rate-changed',
          streamId: stream.streamId,
          stream: source.name,
          ratePerSec,
        }),
    );
    this.bus.add(controller);
    return { stream, rate: () => controller.rate() };
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

  /** Spark's JobGenerator.restart, with the times from restartTimes(). */
  private restartFromCheckpoint(found: ReadCheckpoint, jobChanged: boolean): void {
    const data = found.data;
    const fromInputs = this.graph.inputs.flatMap((s) => [...(s.source.recoveredBatchTimes?.() ?? [])]);
    const times = restartTimes(data, this.clock.now(), this.batchIntervalMs, fromInputs);
    let restore = {
      restored: [] as readonly string[],
      dropped: [] as readonly string[],
      empty: [] as readonly string[],
    };
    this.generator.restart(data.zeroTimeMs, times.rescheduledTimesMs, () => {
      restore = this.graph.restoreCheckpoint(data.streams, this.rddEnv);
    });
    this.recovered = {
      checkpointFile: found.file,
      checkpointTimeMs: data.batchTimeMs,
      skipped: found.skipped,
      ...times,
      restoredStreams: restore.restored,
      droppedStreams: restore.dropped,
      emptyStreams: restore.empty,
      jobChanged,
    };
  }

  private inputContext(stream: InputDStream<unknown>): InputContext {
    const checkpointDir = this.checkpointDir;
    return {
      events: this.bus,
      report: (event) => this.bus.post('onSourceEvent', event),
      streamId: stream.streamId,
      batchIntervalMs: this.batchIntervalMs,
      defaultParallelism: this.defaultParallelism,
      rddEnv: this.rddEnv,
      clock: this.clock,
      ...(this.recoverFrom ? { recoveringFromCheckpointMs: this.recoverFrom.found.data.batchTimeMs } : {}),
      ...(this.settings.executor.readsInputs ? { executorsReadInputs: true } : {}),
      ...(checkpointDir === undefined
        ? {}
        : {
            openWriteAheadLog: (
              dir: string,
              kind: WalKind,
              options?: { readonly readPastDamage?: boolean },
            ) => this.openWriteAheadLog(checkpointDir, dir, kind, options?.readPastDamage ?? false),
          }),
    };
  }

  /** A receiver's write-ahead log under the checkpoint directory; it posts its own events. */
  private async openWriteAheadLog(
    checkpointDir: string,
    relativeDir: string,
    kind: WalKind,
    readPastDamage: boolean,
  ): Promise<WriteAheadLog> {
    const dir = join(checkpointDir, relativeDir);
    try {
      return await FileWriteAheadLog.open(dir, {
        ...this.settings.writeAheadLog,
        events: this.bus,
        kind,
        readPastDamage,
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
    await this.settings.executor.close();
    for (const done of this.onStopped) await done();
    this.current = 'stopped';
    this.terminated();
    return drained;
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
  recentBatches(limit = this.settings.retainedBatches): CompletedBatchRecord[] {
    return this.retained.slice(-limit).reverse();
  }

  /** Batches generated but not yet started. */
  get batchesWaiting(): number {
    return this.scheduler.waiting;
  }

  /**
   * How late the next batch is while its generation has not been submitted (clock time minus its
   * batch time, or minus the restart for a recovered batch); 0 while generation keeps up or when
   * the context is not active. Read at any time, it grows while an input's capture hangs (a direct
   * stream planning against a broker that does not answer), before any batch record could say so.
   */
  get nextBatchOverdueMs(): number {
    if (this.current !== 'active') return 0;
    return this.generator.overdue(this.clock.now())?.overdueMs ?? 0;
  }

  /**
   * Ready when active, every input is connected, no batch is overdue (more than two batch
   * intervals: engine/readiness.ts) and at least one batch has completed; otherwise every reason.
   */
  get readiness(): Readiness {
    return judgeReadiness({
      state: this.current,
      completedBatches: this.completedBatches,
      batchIntervalMs: this.batchIntervalMs,
      inputs: this.graph.inputs.map((s) => {
        const { name, connected, disconnectedReason } = s.source;
        return {
          name,
          ...(connected === undefined ? {} : { connected }),
          ...(disconnectedReason === undefined ? {} : { disconnectedReason }),
        };
      }),
      overdue: this.current === 'active' ? this.generator.overdue(this.clock.now()) : undefined,
    });
  }

  /** readiness.ready: see readiness. */
  get ready(): boolean {
    return this.readiness.ready;
  }

  get listenerErrors(): number {
    return this.bus.errors;
  }

  // ---- internals -------------------------------------------------------------------------------------

  private async batchDone(batch: RunningBatch, failure: unknown, recovered: boolean): Promise<void> {
    const record = batch.toRecord() as CompletedBatchRecord;
    this.completedBatches++;
    this.retained.push(record);
    const limit = this.settings.retainedBatches;
    if (this.retained.length > limit) this.retained.splice(0, this.retained.length - limit);
    this.bus.post('onBatchCompleted', record);
    const checkpointer = this.checkpointer;
    if (failure === undefined && checkpointer?.isCheckpointTime(batch.batchTime)) {
      const pending = this.scheduler.queuedTimes().filter((t) => t > batch.batchTime);
      const failed = await checkpointer.checkpoint(batch.batchTime, pending, this.graph.inputs);
      if (failed) {
        // No later batch may commit, and no input may clean past the last durable checkpoint.
        this.scheduler.halt();
        this.fail(failed);
      }
    }
    this.generator.post({ kind: 'clear-metadata', timeMs: batch.batchTime });
    if (failure !== undefined && !recovered && this.onBatchFailure === 'stop') {
      const reason =
        record.outputOperations.find((o) => o.failureReason)?.failureReason ?? describeError(failure);
      this.fail(
        new SidestreamError(
          'SS_BATCH_FAILED',
          `batch ${batch.batchTime} failed and onBatchFailure is 'stop': ${reason}`,
          {
            cause: failure,
          },
        ),
      );
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
