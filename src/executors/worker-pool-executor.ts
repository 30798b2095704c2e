/**
 * WorkerPoolExecutor: runs tasks in node:worker_threads (docs/design/executors.md).
 * A task whose descriptor carries a RemoteTask, and whose lineage the driver can ship, goes to
 * an idle worker as (lineage key, op, partition, shipped inputs); every other task runs its body
 * in-process, as InProcessExecutor would. A worker that dies mid-task rejects that attempt with
 * ExecutorLostError (retried by the TaskScheduler like any failure) and is replaced.
 */
import { createRequire } from 'node:module';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RemoteSideOutput } from '../dstream/task-runner.js';
import {
  type Executor,
  LINEAGE_MISMATCH,
  type RemoteMetricOp,
  type RemoteMetricsSink,
  type TaskDescriptor,
} from '../engine/executor.js';
import { type ErrorCode, SidestreamError } from '../errors.js';
import { DEFAULT_JOB_LOAD_TIMEOUT_MS, withinJobLoadTimeout } from '../job-module.js';
import { MAX_TIMER_DELAY_MS } from '../time.js';
import type {
  ExecutorReady,
  ExecutorReply,
  ExecutorTaskMessage,
  ExecutorWorkerInit,
  SerializedError,
} from './executor-worker.js';

export interface WorkerPoolOptions {
  /** Worker threads (>= 1). */
  readonly threads: number;
  /** The job module every worker imports to rebuild the graph. */
  readonly jobModule: string;
  /**
   * What the workers import instead of `jobModule`: the same job compiled into one ES module
   * (bundleTypeScriptJob), removed by close(). Messages still name `jobModule`.
   */
  readonly bundle?: { readonly path: string; remove(): Promise<void> };
  /** Told when the pool stops replacing dead workers (the agent logs it at warn). */
  readonly onWarning?: (message: string) => void;
  /** Must match the driver's context: the graph's shape depends on them. */
  readonly appName: string;
  readonly batchIntervalMs: number;
  readonly defaultParallelism: number;
  /**
   * How long a worker may take to import the job module, and then to declare its graph, before
   * ready() rejects with SS_JOB_LOAD_TIMEOUT; default DEFAULT_JOB_LOAD_TIMEOUT_MS (60s). After
   * that rejection, close() the pool: the workers still loading keep the process alive.
   */
  readonly loadTimeoutMs?: number;
}

/** A worker thread exited (crashed, was killed, ran out of memory) while running a task. */
export class ExecutorLostError extends Error {
  override readonly name = 'ExecutorLostError';
}

/** Counters for tests and the design note's measurements. */
export interface WorkerPoolStats {
  remoteTasks: number;
  inProcessTasks: number;
  workersLost: number;
  /** Tasks a worker could not rebuild the RDD for, then run in-process. */
  lineageMismatches: number;
  /** Dead workers not replaced (died importing the job, or too many deaths in a minute). */
  retiredWorkers: number;
}

/** A worker's successful answer: the task's result and its input reads' side outputs. */
interface RemoteResult {
  readonly result: unknown;
  readonly sideOutputs: RemoteSideOutput[];
}

interface Pending {
  readonly id: number;
  resolve(result: RemoteResult): void;
  reject(error: unknown): void;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function workerEntry(): { entry: URL | string; eval: boolean } {
  const url = new URL('./executor-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return { entry: url, eval: false };
  // Under vitest or tsx the sources are .ts: a small bootstrap registers tsx in the worker
  // before importing the entry (an --import in execArgv does not apply to a worker's entry).
  // require.resolve gives the CommonJS build; its ES-module twin sits beside it.
  const api = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const tsx = pathToFileURL(api).href;
  const ts = new URL('./executor-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(ts)}); });`;
  return { entry: code, eval: true };
}

function revive(error: SerializedError): Error {
  let out: Error;
  try {
    out = error.code
      ? new SidestreamError(error.code as ErrorCode, error.message)
      : Object.assign(new Error(error.message), { name: error.name });
  } catch {
    // A code the driver does not know: keep the text, retry like any failure.
    out = Object.assign(new Error(error.message), { name: error.name });
  }
  if (error.stack) out.stack = error.stack;
  return out;
}

/** Worker deaths within DEATH_WINDOW_MS after which a dead worker is no longer replaced. */
const MAX_DEATHS = 10;
const DEATH_WINDOW_MS = 60_000;

class Slot {
  worker!: Worker;
  pending: Pending | undefined;
  /** Its current worker has declared the job's graph. */
  loaded = false;
  /** Out of service: its worker died and was not replaced. */
  dead = false;

  constructor(
    private readonly pool: WorkerPoolExecutor,
    private readonly init: ExecutorWorkerInit,
  ) {
    this.spawn();
  }

  spawn(): void {
    const { entry, eval: isEval } = workerEntry();
    // Referenced until it has declared the graph (a `ready()` waiter must not see the process
    // exit), then only while it runs a task: an idle pool never keeps the process alive.
    const worker = new Worker(entry, { workerData: this.init, eval: isEval });
    worker.on('message', (reply: ExecutorReply | ExecutorReady) => {
      if ('ready' in reply) {
        this.loaded = reply.ready;
        if (!this.pending) worker.unref();
        this.pool.workerReady(reply.ready ? undefined : revive(reply.error));
        return;
      }
      this.pool.applyMetrics(reply.metrics);
      const pending = this.pending;
      if (!pending || pending.id !== reply.id) return;
      this.pending = undefined;
      if (reply.ok) pending.resolve({ result: reply.result, sideOutputs: reply.sideOutputs });
      else pending.reject(revive(reply.error));
    });
    worker.on('error', () => {
      // 'exit' follows; the task is failed there.
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      const pending = this.pending;
      this.pending = undefined;
      if (this.pool.closing) return;
      this.pool.stats.workersLost++;
      const lost = new ExecutorLostError(`executor worker exited with code ${code} while running a task`);
      if (!this.loaded && !this.pool.hasLoaded) {
        // Dying while importing the job (a process.exit at its top level): the job cannot load
        // in a worker. Replacing it would only loop; ready() reports it.
        this.pool.retire(this);
        this.pool.workerReady(
          new SidestreamError(
            'SS_JOB_LOAD_FAILED',
            `an executor worker exited with code ${code} while importing ${this.init.jobModule}; ` +
              'fix the job module (does it call process.exit?) or run with --executors 0',
          ),
        );
      } else if (this.pool.mayReplace()) {
        this.loaded = false;
        this.spawn();
      } else {
        this.pool.retire(this);
        this.pool.warn(
          `executor workers died ${MAX_DEATHS} times within ${DEATH_WINDOW_MS / 1000}s; ` +
            `not replacing this one (${this.pool.liveWorkers} left; with none, tasks run on the main thread)`,
        );
      }
      pending?.reject(lost);
    });
    this.worker = worker;
  }

  run(message: ExecutorTaskMessage): Promise<RemoteResult> {
    return new Promise((resolve, reject) => {
      this.worker.ref();
      this.pending = {
        id: message.id,
        resolve: (result) => {
          this.worker.unref();
          resolve(result);
        },
        reject: (error) => {
          this.worker.unref();
          reject(error);
        },
      };
      this.worker.postMessage(message);
    });
  }
}

export class WorkerPoolExecutor implements Executor {
  readonly parallelism: number;
  readonly readsInputs = true;
  readonly stats: WorkerPoolStats = {
    remoteTasks: 0,
    inProcessTasks: 0,
    workersLost: 0,
    lineageMismatches: 0,
    retiredWorkers: 0,
  };
  closing = false;
  private readonly slots: Slot[];
  private readonly idle: Slot[];
  private readonly waiting: ((slot: Slot | undefined) => void)[] = [];
  private nextMessageId = 0;

  private readonly loadTimeoutMs: number;

  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `executor threads must be a whole number >= 1 (got ${options.threads}); use 0 executors for in-process`,
      );
    }
    this.loadTimeoutMs = options.loadTimeoutMs ?? DEFAULT_JOB_LOAD_TIMEOUT_MS;
    // Three times it is still one timer (ready()'s bound), which must not overflow.
    if (
      !Number.isInteger(this.loadTimeoutMs) ||
      this.loadTimeoutMs <= 0 ||
      3 * this.loadTimeoutMs > MAX_TIMER_DELAY_MS
    ) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `loadTimeoutMs must be a whole number of milliseconds from 1 to ${Math.floor(MAX_TIMER_DELAY_MS / 3)} ` +
          `(got ${options.loadTimeoutMs}); for example 60000`,
      );
    }
    this.jobModule = options.jobModule;
    this.bundle = options.bundle;
    const init: ExecutorWorkerInit = {
      jobModule: resolvePath(options.jobModule),
      ...(options.bundle ? { bundle: options.bundle.path } : {}),
      appName: options.appName,
      batchIntervalMs: options.batchIntervalMs,
      defaultParallelism: options.defaultParallelism,
      loadTimeoutMs: this.loadTimeoutMs,
    };
    this.parallelism = options.threads;
    this.onWarning = options.onWarning;
    this.slots = Array.from({ length: options.threads }, () => new Slot(this, init));
    this.idle = [...this.slots];
  }

  private readonly jobModule: string;
  private readonly bundle: WorkerPoolOptions['bundle'];
  private userMetrics: RemoteMetricsSink | undefined;
  private deaths: number[] = [];
  private readonly onWarning: ((message: string) => void) | undefined;

  /** Whether another dead worker may be replaced (at most MAX_DEATHS within DEATH_WINDOW_MS). */
  mayReplace(): boolean {
    const now = Date.now();
    this.deaths = this.deaths.filter((t) => now - t < DEATH_WINDOW_MS);
    this.deaths.push(now);
    return this.deaths.length <= MAX_DEATHS;
  }

  /** True once every worker had declared the graph at least once (ready() resolved). */
  get hasLoaded(): boolean {
    return this.readyCount >= this.slots.length;
  }

  get liveWorkers(): number {
    return this.slots.filter((s) => !s.dead).length;
  }

  warn(message: string): void {
    this.onWarning?.(message);
  }

  /** Takes a slot out of service; with none left, waiting tasks run in-process. */
  retire(slot: Slot): void {
    slot.dead = true;
    const i = this.idle.indexOf(slot);
    if (i >= 0) this.idle.splice(i, 1);
    this.stats.retiredWorkers++;
    if (this.liveWorkers === 0) for (const next of this.waiting.splice(0)) next(undefined);
  }

  attachUserMetrics(metrics: RemoteMetricsSink): void {
    this.userMetrics = metrics;
  }

  /** Replays a task's user-metric updates on the driver's metrics (see Executor.attachUserMetrics). */
  applyMetrics(ops: readonly RemoteMetricOp[]): void {
    if (ops.length > 0) this.userMetrics?.applyRemote(ops);
  }

  private readyWaiters: { resolve(): void; reject(error: unknown): void }[] = [];
  private readyCount = 0;
  private loadError: Error | undefined;

  /** Called by a slot when its worker has declared the graph (error: it could not). */
  workerReady(error: Error | undefined): void {
    if (error) this.loadError ??= error;
    else this.readyCount++;
    this.settleReady();
  }

  private settleReady(): void {
    const waiters = this.readyWaiters;
    if (this.loadError) {
      this.readyWaiters = [];
      for (const w of waiters) w.reject(this.loadError);
    } else if (this.readyCount >= this.slots.length) {
      this.readyWaiters = [];
      for (const w of waiters) w.resolve();
    }
  }

  /**
   * Resolves once every worker has imported the job and declared its graph; rejects with the
   * first worker's load error (the same error loading the job on the driver would give), or with
   * SS_JOB_LOAD_TIMEOUT when they are not all ready within three times the load timeout. A
   * worker times its own import and declaration (one timeout each) and says which hung; this
   * bound, which leaves one more timeout for the thread to start, catches only a worker that
   * cannot even say it is stuck (a loop that never yields).
   */
  ready(): Promise<void> {
    const all = new Promise<void>((resolve, reject) => {
      this.readyWaiters.push({ resolve, reject });
      this.settleReady();
    });
    return withinJobLoadTimeout(all, 3 * this.loadTimeoutMs, (limit) => {
      const stuck = this.slots.length - this.readyCount;
      return (
        `${stuck} of ${this.slots.length} executor workers did not finish importing ${this.jobModule} and ` +
        `declaring its graph within ${limit} (3 × the job load timeout); fix what the job ` +
        'waits for in a worker thread, try ' +
        '--executors 0, or raise the job load timeout (--job-load-timeout) if it really needs longer'
      );
    }).catch((error: unknown) => {
      // Later calls get the same answer at once.
      if (error instanceof Error) this.loadError ??= error;
      throw error;
    });
  }

  /** Worker thread ids, for tests that kill one. */
  get threadIds(): number[] {
    return this.slots.map((s) => s.worker.threadId);
  }

  async run<R>(task: TaskDescriptor, body: () => R | Promise<R>): Promise<R> {
    await yieldToEventLoop();
    const remote = task.remote;
    const inputs = remote?.inputs();
    if (!remote || !inputs || this.closing) {
      this.stats.inProcessTasks++;
      return body();
    }
    const slot = await this.acquire();
    if (!slot) {
      // Every worker is out of service: the task still runs, here.
      this.stats.inProcessTasks++;
      return body();
    }
    let answer: RemoteResult | undefined;
    try {
      answer = await slot.run({
        id: this.nextMessageId++,
        op: remote.op,
        key: remote.rdd.key,
        shape: remote.shape,
        zeroTimeMs: remote.rdd.zeroTimeMs,
        ...(remote.shuffleIndex === undefined ? {} : { shuffleIndex: remote.shuffleIndex }),
        partition: task.partition,
        inputs,
      });
      this.stats.remoteTasks++;
    } catch (error) {
      if (!(error instanceof Error && error.name === LINEAGE_MISMATCH)) throw error;
      // The worker could not rebuild this RDD as the driver has it (a stream whose compute
      // depends on earlier batches): not a task failure; run it here.
      this.stats.lineageMismatches++;
    } finally {
      this.release(slot);
    }
    if (answer) {
      // The driver's part of the reads (dead letters, event times) after the slot is free: a
      // failure here fails the attempt like a failed in-process read.
      if (answer.sideOutputs.length > 0) await remote.acceptSideOutputs(answer.sideOutputs);
      return answer.result as R;
    }
    this.stats.inProcessTasks++;
    return body();
  }

  private acquire(): Promise<Slot | undefined> {
    if (this.liveWorkers === 0) return Promise.resolve(undefined);
    const slot = this.idle.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    if (slot.dead) return;
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    await this.bundle?.remove().catch(() => {});
  }
}
