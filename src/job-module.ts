/**
 * Job modules: a `.js`, `.mjs` or `.ts` file whose default export declares the graph on a
 * StreamingContext. This module finds the file, imports it (TypeScript through tsx), checks the
 * export, and calls it, turning each way that can fail into one coded, actionable error; that
 * includes never finishing: importing and declaring each have a time limit (SS_JOB_LOAD_TIMEOUT).
 */

import { stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { codeOf, describeError, SidestreamError } from './errors.js';
import type { StreamingContext } from './streaming-context.js';
import { registerTypeScriptModuleHook } from './typescript-module-hook.js';

export type JobFunction = (ssc: StreamingContext) => void | Promise<void>;

export interface LoadedJob {
  /** Absolute path of the module. */
  readonly path: string;
  /** The file's base name without extension: the default app name. */
  readonly name: string;
  readonly job: JobFunction;
}

/** How long importing a job module, and then its job function, may each take unless told otherwise. */
export const DEFAULT_JOB_LOAD_TIMEOUT_MS = 60_000;

export interface JobLoadOptions {
  /** The time limit of this step; default DEFAULT_JOB_LOAD_TIMEOUT_MS. */
  readonly timeoutMs?: number;
}

/** `60s`, `1.5s`, `250ms`: the limit as a message quotes it. */
function shownTimeout(ms: number): string {
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * `work`, or an SS_JOB_LOAD_TIMEOUT error once `timeoutMs` has passed, whose message
 * `describe(limit)` writes. The timer is deliberately referenced: a promise that never settles
 * holds nothing open, so without it Node finds nothing left to do and exits with code 0 while the
 * job is still "loading". What `work` waits for cannot be cancelled; the caller gives up on it.
 */
export function withinJobLoadTimeout<T>(
  work: Promise<T>,
  timeoutMs: number,
  describe: (limit: string) => string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new SidestreamError('SS_JOB_LOAD_TIMEOUT', describe(shownTimeout(timeoutMs)))),
      timeoutMs,
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

const RAISE = 'or raise the job load timeout (--job-load-timeout) if it really needs longer';

const JS_EXTENSIONS = new Set(['.js', '.mjs']);
const TS_EXTENSIONS = new Set(['.ts', '.mts']);

let tsxRegistered: Promise<unknown> | undefined;

/**
 * tsx is registered process-wide rather than used through tsImport: tsImport loads everything the
 * job imports under its own namespace, so `import ... from 'sidestream'` in a job would get a
 * second copy of the engine whose classes fail every instanceof check against the agent's.
 */
function registerTypeScript(): Promise<unknown> {
  tsxRegistered ??= import('tsx/esm/api').then((tsx) => {
    tsx.register();
    // After tsx, so that it sees tsx's answer: a job's .ts files are ES modules in any package.
    registerTypeScriptModuleHook();
  });
  return tsxRegistered;
}

export async function loadJobModule(
  specifier: string,
  cwd = process.cwd(),
  options: JobLoadOptions = {},
): Promise<LoadedJob> {
  const path = resolve(cwd, specifier);
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    throw new SidestreamError(
      'SS_JOB_NOT_FOUND',
      `job module ${specifier} not found (looked for ${path}); check the path, which is relative to the current directory`,
    );
  }
  if (!isFile) {
    throw new SidestreamError(
      'SS_JOB_NOT_FOUND',
      `job module ${specifier} is a directory; pass the job file itself, for example ${specifier}/job.ts`,
    );
  }
  const ext = extname(path);
  if (!JS_EXTENSIONS.has(ext) && !TS_EXTENSIONS.has(ext)) {
    throw new SidestreamError(
      'SS_JOB_LOAD_FAILED',
      `job module ${specifier} is not a .js, .mjs or .ts file; write the job as an ES module with one of those extensions`,
    );
  }
  if (TS_EXTENSIONS.has(ext)) await registerTypeScript();
  let mod: Record<string, unknown>;
  try {
    mod = await withinJobLoadTimeout(
      import(pathToFileURL(path).href) as Promise<Record<string, unknown>>,
      options.timeoutMs ?? DEFAULT_JOB_LOAD_TIMEOUT_MS,
      (limit) =>
        `job module ${specifier} did not finish loading within ${limit}: its top-level code is still ` +
        `waiting (a top-level await that never settles?); fix the module, ${RAISE}`,
    );
  } catch (error) {
    if (codeOf(error)) throw error;
    throw new SidestreamError(
      'SS_JOB_LOAD_FAILED',
      `job module ${specifier} failed to load: ${describeError(error)}${importHint(error)}`,
      { cause: error },
    );
  }
  const job = defaultExport(mod);
  if (!job) {
    const named = Object.keys(mod).filter((k) => k !== 'default');
    const exported = named.length > 0 ? ` (it exports only ${named.join(', ')})` : '';
    throw new SidestreamError(
      'SS_JOB_NO_DEFAULT_EXPORT',
      `job module ${specifier} has no default export function${exported}; add ` +
        "'export default function job(ssc) { ... }' that declares the job's streams",
    );
  }
  return { path, name: basename(path, ext), job };
}

function defaultExport(mod: Record<string, unknown>): JobFunction | undefined {
  const value = mod.default;
  if (typeof value === 'function') return value as JobFunction;
  // A CommonJS-compiled job surfaces its `exports.default` one level down.
  const inner = (value as { default?: unknown } | undefined)?.default;
  return typeof inner === 'function' ? (inner as JobFunction) : undefined;
}

function importHint(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.includes("'sidestream'")) {
    return "; install sidestream in the job's project (npm install sidestream) or import only types from it";
  }
  if (
    typeof message === 'string' &&
    (message.includes('Cannot use import statement outside a module') ||
      message.includes("Unexpected token 'export'"))
  ) {
    // A .js file in a package without "type": "module" (npm init -y writes "commonjs") is
    // CommonJS to Node; .ts files are loaded as ES modules anyway (typescript-module-hook.ts).
    return '; the job is written as an ES module but its package.json does not say "type": "module": rename it to .mjs, add {"type": "module"} to that package.json, or write it in CommonJS (module.exports = function job(ssc) { ... })';
  }
  return '; fix the error in the module (run with --verbose for the stack)';
}

/**
 * Calls the job function. Coded errors (a window that is not a multiple of the batch interval,
 * say) pass through unchanged; anything else the job throws is wrapped so the report says where.
 */
export async function declareJob(
  loaded: LoadedJob,
  ssc: StreamingContext,
  options: JobLoadOptions = {},
): Promise<void> {
  try {
    await withinJobLoadTimeout(
      Promise.resolve(loaded.job(ssc)),
      options.timeoutMs ?? DEFAULT_JOB_LOAD_TIMEOUT_MS,
      (limit) =>
        `job ${loaded.name} did not finish declaring its graph within ${limit}: the promise its job ` +
        `function returned has not settled (an await that never resolves?); fix the job function, ${RAISE}`,
    );
  } catch (error) {
    if (codeOf(error)) throw error;
    throw new SidestreamError(
      'SS_JOB_LOAD_FAILED',
      `job ${loaded.name} threw while declaring its graph: ${describeError(error)}; fix the job function ` +
        '(run with --verbose for the stack)',
      { cause: error },
    );
  }
}

/** A job's base name made into a valid app name (letters, digits, '-', '_'). */
export function appNameFor(jobName: string): string {
  const cleaned = jobName.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[-_]+/, '');
  return cleaned.length > 0 ? cleaned : 'job';
}
