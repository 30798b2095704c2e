/**
 * prepareJob: everything `run`, `demo` and `validate` share before a context starts: resolve the
 * configuration, load the job module, build the StreamingContext and let the job declare its
 * graph. Problems are collected rather than thrown one at a time, so a person fixing a setup
 * sees all of them at once.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SidestreamError } from '../errors.js';
import { bundleTypeScriptJob } from '../executors/bundle-typescript-job.js';
import { WorkerPoolExecutor } from '../executors/worker-pool-executor.js';
import {
  appNameFor,
  DEFAULT_JOB_LOAD_TIMEOUT_MS,
  declareJob,
  type LoadedJob,
  loadJobModule,
} from '../job-module.js';
import { StreamingContext } from '../streaming-context.js';
import { type AgentConfig, type ConfigField, resolveConfig } from './config.js';
import { configSnapshot } from './config-snapshot.js';
import demoJob from './demo-job.js';
import { note, warn } from './report-error.js';

/** The bundled demo job's own file: executor workers import it like any job module. */
const DEMO_JOB_PATH = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './demo-job.ts' : './demo-job.js', import.meta.url),
);

export type JobRef = { readonly kind: 'module'; readonly specifier: string } | { readonly kind: 'demo' };

export interface PrepareOptions {
  /** The job to declare; none for `validate` without a job module (config only). */
  readonly job?: JobRef | undefined;
  readonly configFile?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags: Readonly<Partial<Record<ConfigField, string | undefined>>>;
  /**
   * `run` and `demo`: with a checkpoint directory, build the context through
   * StreamingContext.getOrCreate so it resumes from the newest checkpoint (job hash checked).
   */
  readonly recover?: boolean;
  /**
   * `run` and `demo`: log what the agent did for the job on the way (the workers' compiled copy
   * of a TypeScript job). `validate` stays silent when all is well.
   */
  readonly notes?: boolean;
}

/** `ssc` is undefined only when no job was asked for (`validate` with a config alone). */
export type PreparedJob<Ssc extends StreamingContext | undefined = StreamingContext | undefined> =
  | { readonly ok: true; readonly config: AgentConfig; readonly ssc: Ssc }
  | { readonly ok: false; readonly problems: readonly unknown[] };

/** With a job: a job that cannot be loaded is a problem, so success always carries its context. */
export async function prepareJob(
  options: PrepareOptions & { readonly job: JobRef },
): Promise<PreparedJob<StreamingContext>>;
export async function prepareJob(options: PrepareOptions): Promise<PreparedJob>;
export async function prepareJob(options: PrepareOptions): Promise<PreparedJob> {
  const problems: unknown[] = [];
  const ref = options.job;
  // The configuration first: it holds the job load timeout. A module that cannot load is still
  // reported next to bad settings (then under the default timeout), in the order of the steps.
  const resolved = await resolveConfig({
    file: options.configFile,
    env: options.env,
    flags: options.flags,
    defaultApp: defaultAppName(ref),
  });
  for (const warning of resolved.warnings) warn(warning);
  const timeoutMs = resolved.ok ? resolved.config.jobLoadTimeoutMs : DEFAULT_JOB_LOAD_TIMEOUT_MS;
  let loaded: LoadedJob | undefined;
  if (ref?.kind === 'demo') {
    loaded = { path: DEMO_JOB_PATH, name: 'demo', job: demoJob };
  } else if (ref?.kind === 'module') {
    try {
      loaded = await loadJobModule(ref.specifier, process.cwd(), { timeoutMs });
    } catch (error) {
      problems.push(error);
    }
  }
  if (!resolved.ok) problems.push(...resolved.problems);
  if (!resolved.ok || problems.length > 0) return { ok: false, problems };
  const config = resolved.config;
  if (!loaded) return { ok: true, config, ssc: undefined };

  let ssc: StreamingContext;
  try {
    const job = loaded;
    // The job's identity in checkpoints: a changed module is refused on recovery unless allowed.
    const identity =
      ref?.kind === 'module'
        ? {
            path: job.path,
            sha256: createHash('sha256')
              .update(await readFile(job.path))
              .digest('hex'),
          }
        : undefined;
    // Executor workers import the job module again (the demo's too); the workers' graph must
    // have the driver's shape, hence the resolved default parallelism.
    const defaultParallelism = config.defaultParallelism ?? availableParallelism();
    const executors = ref === undefined ? 0 : config.executors;
    const create = async (): Promise<StreamingContext> => {
      const bundle = executors > 0 ? await workerBundle(job.path, options.notes === true) : undefined;
      const executor =
        executors > 0
          ? new WorkerPoolExecutor({
              threads: executors,
              jobModule: job.path,
              ...(bundle ? { bundle } : {}),
              appName: config.app,
              batchIntervalMs: config.batchIntervalMs,
              defaultParallelism,
              loadTimeoutMs: timeoutMs,
              onWarning: warn,
            })
          : undefined;
      const created = new StreamingContext({
        appName: config.app,
        batchIntervalMs: config.batchIntervalMs,
        checkpointDir: config.checkpointDir,
        ...(config.checkpointIntervalMs === undefined
          ? {}
          : { checkpointIntervalMs: config.checkpointIntervalMs }),
        allowJobChange: config.allowJobChange,
        ...(config.walFsync ? { writeAheadLog: { fsync: config.walFsync } } : {}),
        ...(identity ? { job: identity } : {}),
        configSnapshot: configSnapshot(config),
        maxTaskFailures: config.maxTaskFailures,
        onBatchFailure: config.onBatchFailure,
        defaultParallelism,
        batchLogPath: config.batchLogPath,
        ...(executor ? { executor } : {}),
      });
      try {
        await declareJob(job, created, { timeoutMs });
        // Every worker imports the job too: a job that cannot load there is reported now.
        await executor?.ready();
      } catch (error) {
        // Workers still loading would keep the process alive after the failure is reported.
        await executor?.close();
        throw error;
      }
      return created;
    };
    ssc =
      options.recover && config.checkpointDir !== undefined
        ? await StreamingContext.getOrCreate(config.checkpointDir, create)
        : await create();
  } catch (error) {
    return { ok: false, problems: [error] };
  }
  if (ssc.graph.outputs.length === 0) {
    // start() would refuse this too; finding it here lets `validate` report it without starting.
    return {
      ok: false,
      problems: [
        new SidestreamError(
          'SS_NO_OUTPUT_OPERATIONS',
          `job ${loaded.name} declares no output operation, so nothing would run; add foreachRDD, print or saveAsTextFiles to a stream`,
        ),
      ],
    };
  }
  return { ok: true, config, ssc };
}

/**
 * A TypeScript job compiled once for the executor workers, so that none of them registers tsx
 * (bundle-typescript-job.ts says why and what is bundled). Only when the agent runs from its
 * build: run from its own TypeScript source (tests, development), every worker loads tsx for the
 * engine anyway. When the job cannot be bundled, the workers load it through tsx, and the log
 * says why.
 */
async function workerBundle(
  path: string,
  notes: boolean,
): Promise<{ path: string; remove(): Promise<void> } | undefined> {
  if (import.meta.url.endsWith('.ts') || !/\.[cm]?ts$/.test(path)) return undefined;
  const bundle = await bundleTypeScriptJob(path);
  if (bundle.bundled) {
    if (notes) note(`executor workers import ${path} compiled into one module (${bundle.path}), without tsx`);
    return bundle;
  }
  warn(
    `executor workers load ${path} through tsx, 10-20 MB of memory more each, because ${bundle.reason}; ` +
      'compile the job to JavaScript to avoid it',
  );
  return undefined;
}

function defaultAppName(ref: JobRef | undefined): string {
  if (ref?.kind === 'demo') return 'demo';
  if (ref?.kind === 'module') return appNameFor(basename(ref.specifier, extname(ref.specifier)));
  return 'sidestream';
}
