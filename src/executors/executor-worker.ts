/**
 * The body of one executor worker thread (see WorkerPoolExecutor and docs/design/executors.md).
 * It imports the job module the driver runs, declares the same graph on a worker-side context
 * whose timers never start, and for each task regenerates the task's batch RDD by its lineage
 * key, installs the shipped inputs (input partitions, shuffle buckets), computes the partition
 * and posts the result back. Nothing is kept between tasks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InputDStream } from '../dstream/input-dstream.js';
import type { RemoteReadRdd } from '../dstream/input-source.js';
import { RDD } from '../dstream/rdd.js';
import { computeRemote, provideShuffle } from '../dstream/rdd-remoting.js';
import type { RddShape, RemoteInput, RemoteOp, RemoteSideOutput } from '../dstream/task-runner.js';
import { LINEAGE_MISMATCH, type RemoteMetricOp } from '../engine/executor.js';
import { declareJob, type LoadedJob, loadJobModule } from '../job-module.js';
import { StreamingContext } from '../streaming-context.js';
import { ManualClock } from '../time.js';

export interface ExecutorWorkerInit {
  /** Path of the job module (absolute, or relative to the driver's working directory). */
  readonly jobModule: string;
  /** The job compiled into one ES module (bundle-typescript-job.ts): imported instead of jobModule. */
  readonly bundle?: string;
  readonly appName: string;
  readonly batchIntervalMs: number;
  readonly defaultParallelism: number;
  /** The time limit of importing the job and of declaring its graph (SS_JOB_LOAD_TIMEOUT). */
  readonly loadTimeoutMs?: number;
}

export interface ExecutorTaskMessage {
  readonly id: number;
  readonly op: RemoteOp;
  readonly key: string;
  readonly shape: RddShape;
  readonly zeroTimeMs: number;
  readonly shuffleIndex?: number;
  readonly partition: number;
  readonly inputs: readonly RemoteInput[];
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
}

/** Posted once when the worker has declared the job's graph (or failed to). */
export type ExecutorReady =
  | { readonly ready: true }
  | { readonly ready: false; readonly error: SerializedError };

export type ExecutorReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly result: unknown;
      readonly metrics: RemoteMetricOp[];
      /** The side outputs of the inputs this task read itself (a Kafka range's event times...). */
      readonly sideOutputs: RemoteSideOutput[];
    }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: SerializedError;
      readonly metrics: RemoteMetricOp[];
    };

function mismatch(message: string): Error {
  return Object.assign(new Error(message), { name: LINEAGE_MISMATCH });
}

const KEY = /^(\d+)@(-?\d+(?:\.\d+)?)#(.+)$/;

function parseKey(key: string): { streamId: number; timeMs: number } {
  const m = KEY.exec(key);
  if (!m) throw new Error(`malformed lineage key '${key}'`);
  return { streamId: Number(m[1]), timeMs: Number(m[2]) };
}

function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(error.stack ? { stack: error.stack } : {}),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}

/** The worker's context and the registry its lineage keeps every keyed RDD in. */
interface WorkerContext {
  readonly ssc: StreamingContext;
  readonly registry: Map<string, RDD<unknown>>;
}

async function prepare(init: ExecutorWorkerInit): Promise<WorkerContext> {
  const limit = init.loadTimeoutMs === undefined ? {} : { timeoutMs: init.loadTimeoutMs };
  let loaded: LoadedJob;
  if (init.bundle === undefined) loaded = await loadJobModule(init.jobModule, process.cwd(), limit);
  else {
    // The bundle's inline source map turns its stack frames back into the job's files and lines.
    process.setSourceMapsEnabled(true);
    const bundle = init.bundle;
    try {
      loaded = { ...(await loadJobModule(bundle, process.cwd(), limit)), path: init.jobModule };
    } catch (error) {
      // The person reading it knows the job, not its bundle.
      if (error instanceof Error) error.message = error.message.replaceAll(bundle, init.jobModule);
      throw error;
    }
  }
  const ssc = new StreamingContext({
    appName: init.appName,
    batchIntervalMs: init.batchIntervalMs,
    defaultParallelism: init.defaultParallelism,
    clock: new ManualClock(0),
    tracing: false,
    lineageRegistry: true,
    output: () => {},
  });
  const registry = ssc.rddEnv.lineage?.registry;
  if (!registry)
    throw new Error('the executor worker context has no lineage registry (lineageRegistry was not honoured)');
  await declareJob(loaded, ssc, limit);
  return { ssc, registry };
}

let zeroTimeMs: number | undefined;

interface Computed {
  readonly result: unknown;
  readonly sideOutputs: RemoteSideOutput[];
}

async function compute({ ssc, registry }: WorkerContext, task: ExecutorTaskMessage): Promise<Computed> {
  const graph = ssc.graph;
  if (zeroTimeMs !== task.zeroTimeMs) {
    graph.start(task.zeroTimeMs);
    zeroTimeMs = task.zeroTimeMs;
  }
  const reads: { key: string; read: RemoteReadRdd<unknown> }[] = [];
  try {
    for (const input of task.inputs) {
      if (input.kind !== 'read') continue;
      // An input this worker reads itself (a Kafka range): its own copy of the source does it.
      const { streamId, timeMs } = parseKey(input.key);
      const stream = graph.streamById(streamId);
      if (!(stream instanceof InputDStream) || !stream.source.remoteRead)
        throw mismatch(
          `stream ${streamId} of the worker's graph cannot read its input itself (is it the same job?)`,
        );
      const read = stream.source.remoteRead(ssc.rddEnv, input.numPartitions, input.reads);
      reads.push({ key: input.key, read });
      stream.putGenerated(timeMs, read.rdd);
    }
    for (const input of task.inputs) {
      if (input.kind !== 'input') continue;
      const { streamId, timeMs } = parseKey(input.key);
      const stream = graph.streamById(streamId);
      if (!stream) throw new Error(`the worker's graph has no stream ${streamId} (is it the same job?)`);
      const parts = Array.from({ length: input.numPartitions }, (_, p) => input.partitions[p] ?? []);
      stream.putGenerated(timeMs, RDD.fromPartitions(ssc.rddEnv, parts, 'shipped input'));
    }
    const { streamId, timeMs } = parseKey(task.key);
    graph.streamById(streamId)?.getOrCompute(timeMs);
    const rdd = registry.get(task.key);
    if (!rdd) throw mismatch(`lineage key ${task.key} was not generated in the executor worker`);
    if (rdd.name !== task.shape.name || rdd.numPartitions !== task.shape.numPartitions) {
      throw mismatch(
        `lineage key ${task.key} is ${rdd.name} with ${rdd.numPartitions} partitions in the worker, ` +
          `${task.shape.name} with ${task.shape.numPartitions} on the driver`,
      );
    }
    for (const input of task.inputs) {
      if (input.kind !== 'shuffle') continue;
      const owner = registry.get(input.key);
      if (!owner)
        throw mismatch(`lineage key ${input.key} (a shuffle) was not generated in the executor worker`);
      provideShuffle(owner, input.shuffleIndex, input.partition, input.outputs);
    }
    const result = await computeRemote(rdd, task.op, task.partition, task.shuffleIndex);
    const sideOutputs = reads.flatMap(({ key, read }) =>
      read.sideOutputs().map(({ partition, data }) => ({ key, partition, data })),
    );
    return { result, sideOutputs };
  } finally {
    graph.forgetGenerated();
    registry.clear();
  }
}

const port = parentPort;
if (port) {
  const ready = prepare(workerData as ExecutorWorkerInit);
  // A job that fails to load fails every task with the load error (counted and retried like any)
  // and tells the pool once, so the agent can report it before the context starts.
  ready.then(
    () => port.postMessage({ ready: true } satisfies ExecutorReady),
    (error) => port.postMessage({ ready: false, error: serializeError(error) } satisfies ExecutorReady),
  );
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (task: ExecutorTaskMessage) => {
    queue = queue.then(async () => {
      let reply: ExecutorReply;
      // User-metric updates go back with the result, failed attempts included (in-process they
      // would have happened too).
      const metrics = () => ready.then(({ ssc }) => ssc.metrics.drainRecorded()).catch(() => []);
      try {
        const { result, sideOutputs } = await compute(await ready, task);
        reply = { id: task.id, ok: true, result, sideOutputs, metrics: await metrics() };
      } catch (error) {
        reply = { id: task.id, ok: false, error: serializeError(error), metrics: await metrics() };
      }
      try {
        port.postMessage(reply);
      } catch (error) {
        // A result that cannot be cloned (a function, a class instance with private state...).
        port.postMessage({
          id: task.id,
          ok: false,
          error: serializeError(error),
          metrics: reply.metrics,
        } satisfies ExecutorReply);
      }
    });
  });
}
