/**
 * Agent configuration: one zod schema for the YAML file, the `SIDESTREAM_*` environment variables
 * and the command-line flags, resolved flags > environment > file > defaults. Each layer is
 * validated on its own, so every problem names where it came from (the file's key, the variable
 * or the flag) and how to fix it, and `sidestream validate` can list them all at once.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseDocument } from 'yaml';
import * as z from 'zod';
import type { BatchFailurePolicy } from '../engine/streaming-context.js';
import { type ErrorCode, SidestreamError } from '../errors.js';
import type { FsyncPolicy } from '../state/write-ahead-log.js';
import { type GraphiteTarget, parseGraphiteUrl } from '../telemetry/exporters/graphite/graphite-target.js';
import type { GraphiteNaming } from '../telemetry/graphite-naming.js';
import { parseDurationMs } from '../time.js';
import {
  DEFAULT_LOG_FORMAT,
  DEFAULT_LOG_LEVEL,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
} from './logger.js';
import { redactText } from './redact.js';

export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

/** The resolved configuration the agent runs with: every default applied, every value checked. */
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

export const DEFAULT_HTTP: HttpAddress = { host: '127.0.0.1', port: 9464 };
export const DEFAULT_BATCH_INTERVAL_MS = 1000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_TASK_FAILURES = 4;
export const DEFAULT_RESTART_BUDGET = 5;
export const DEFAULT_RESTART_WINDOW_MS = 10 * 60_000;

/** `show('0s')` is `'0s'`: values are quoted in messages the way the user wrote them. */
function show(value: unknown): string {
  // A value may carry credentials (a URL with user:password@): messages never echo them.
  if (typeof value === 'string') return `'${redactText(value)}'`;
  if (value === null || value === undefined) return 'an empty value';
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function duration(options: { example: string; allowZero: boolean }) {
  return z.unknown().transform((input, ctx): number => {
    const notDuration = `${show(input)} is not a duration; write a number with a unit, for example ${options.example}`;
    if (typeof input !== 'string' && typeof input !== 'number') {
      ctx.addIssue({ code: 'custom', message: notDuration });
      return z.NEVER;
    }
    let ms: number;
    try {
      ms = parseDurationMs(input, 'duration');
    } catch {
      ctx.addIssue({ code: 'custom', message: notDuration });
      return z.NEVER;
    }
    if (ms < 0 || (ms === 0 && !options.allowZero)) {
      const bound = options.allowZero ? '>= 0' : '> 0';
      ctx.addIssue({
        code: 'custom',
        message: `${show(input)} must be ${bound}; for example ${options.example}`,
      });
      return z.NEVER;
    }
    if (!Number.isInteger(ms)) {
      ctx.addIssue({
        code: 'custom',
        message: `${show(input)} must be a whole number of milliseconds; for example ${options.example}`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

/** Numbers arrive as numbers from YAML and as strings from flags and variables. */
function wholeNumber(min: number, example: number) {
  return z.unknown().transform((input, ctx): number => {
    const n =
      typeof input === 'number'
        ? input
        : typeof input === 'string' && /^\s*\d+\s*$/.test(input)
          ? Number(input)
          : NaN;
    if (!Number.isInteger(n) || n < min) {
      ctx.addIssue({
        code: 'custom',
        message: `${show(input)} must be a whole number >= ${min}; for example ${example}`,
      });
      return z.NEVER;
    }
    return n;
  });
}

function nonEmptyString(what: string, example: string) {
  return z.string({ error: (iss) => `${show(iss.input)} must be ${what}; for example ${example}` }).min(1, {
    error: `must be ${what}, not empty; for example ${example}; or remove it to use the default`,
  });
}

// The app name becomes the `app` label of every metric and a Graphite path segment, where a dot
// would split the path; hence the narrow alphabet.
const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

const appName = z
  .string({ error: (iss) => `${show(iss.input)} must be a name; for example clicks` })
  .regex(APP_NAME, {
    error: (iss) =>
      `${show(iss.input)} may contain only letters, digits, '-' and '_' (it becomes the app label of ` +
      'every metric); for example clicks-prod',
  });

const HOST_PORT = /^(?:\[([^\]]+)\]|([^:\s[\]]+)):(\d{1,5})$/;

/** Parses `HOST:PORT` (`[::1]:9464` for IPv6); port 0 asks the OS for a free port. */
export function parseHttpAddress(input: string): HttpAddress | undefined {
  const m = HOST_PORT.exec(input.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65_535) return undefined;
  return { host: m[1] ?? m[2]!, port };
}

const httpAddress = z.unknown().transform((input, ctx): HttpAddress => {
  const parsed = typeof input === 'string' ? parseHttpAddress(input) : undefined;
  if (!parsed) {
    ctx.addIssue({
      code: 'custom',
      message: `${show(input)} must be HOST:PORT with a port up to 65535; for example 127.0.0.1:9464 (or [::1]:9464)`,
    });
    return z.NEVER;
  }
  return parsed;
});

const graphiteUrl = z.unknown().transform((input, ctx): { url: string; target: GraphiteTarget } => {
  const target = typeof input === 'string' ? parseGraphiteUrl(input) : undefined;
  if (!target) {
    ctx.addIssue({
      code: 'custom',
      message: `${show(input)} must be tcp://HOST:PORT or udp://HOST:PORT; for example tcp://127.0.0.1:2003`,
    });
    return z.NEVER;
  }
  return { url: (input as string).trim(), target };
});

// A prefix is one or more dotted path segments; an instance is one segment (like the app name).
const GRAPHITE_PREFIX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/** A URL string (flag, variable or file) or, in the file, a mapping with the optional settings. */
const graphite = z.preprocess(
  (input) => (typeof input === 'string' ? { url: input } : input),
  z
    .strictObject(
      {
        url: graphiteUrl,
        prefix: z
          .string({ error: (iss) => `${show(iss.input)} must be a dotted name; for example sidestream` })
          .regex(GRAPHITE_PREFIX, {
            error: (iss) =>
              `${show(iss.input)} must be dot-separated names of letters, digits, '-' and '_'; for example prod.sidestream`,
          })
          .optional(),
        naming: z
          .enum(['dotted', 'tagged'], { error: (iss) => `${show(iss.input)} must be 'dotted' or 'tagged'` })
          .optional(),
        instance: z
          .string({ error: (iss) => `${show(iss.input)} must be a name; for example host-1` })
          .regex(APP_NAME, {
            error: (iss) =>
              `${show(iss.input)} may contain only letters, digits, '-' and '_' (it is one Graphite path ` +
              'segment); for example host-1',
          })
          .optional(),
      },
      {
        error: (iss) =>
          iss.code === 'invalid_type'
            ? `${show(iss.input)} must be tcp://HOST:PORT, udp://HOST:PORT or a mapping with url (and optional prefix, naming, instance)`
            : undefined,
      },
    )
    .transform(({ url, ...rest }): GraphiteConfig => ({ ...rest, url: url.url, target: url.target })),
);

/** true/false from YAML; 'true'/'false'/'1'/'0' from flags and variables. */
const flag = z.unknown().transform((input, ctx): boolean => {
  if (typeof input === 'boolean') return input;
  if (typeof input === 'string' && /^\s*(true|1|yes)\s*$/i.test(input)) return true;
  if (typeof input === 'string' && /^\s*(false|0|no)\s*$/i.test(input)) return false;
  ctx.addIssue({ code: 'custom', message: `${show(input)} must be true or false` });
  return z.NEVER;
});

const pushgatewayUrl = z.unknown().transform((input, ctx): string => {
  let ok = false;
  if (typeof input === 'string') {
    try {
      const u = new URL(input.trim());
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && !u.search;
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    ctx.addIssue({
      code: 'custom',
      message: `${show(input)} must be an http:// or https:// URL of a Pushgateway; for example http://127.0.0.1:9091`,
    });
    return z.NEVER;
  }
  return (input as string).trim();
});

/** A URL string (flag, variable or file) or, in the file, a mapping with url and interval. */
const pushgateway = z.preprocess(
  (input) => (typeof input === 'string' ? { url: input } : input),
  z
    .strictObject(
      {
        url: pushgatewayUrl,
        interval: duration({ example: '15s', allowZero: false }).optional(),
      },
      {
        error: (iss) =>
          iss.code === 'invalid_type'
            ? `${show(iss.input)} must be an http:// URL or a mapping with url (and optional interval)`
            : undefined,
      },
    )
    .transform(
      ({ url, interval }): PushgatewayConfig => ({
        url,
        ...(interval === undefined ? {} : { intervalMs: interval }),
      }),
    ),
);

/** Keys of the settings that may be written as a mapping, for unknown-key messages. */
const NESTED_KEYS: Record<string, string> = {
  graphite: 'url, prefix, naming, instance',
  pushgateway: 'url, interval',
};

/** `always`, `never`, or a duration (fsync at most that often): the receivers' WAL policy. */
const walFsync = z.unknown().transform((input, ctx): FsyncPolicy => {
  if (input === 'always' || input === 'never') return { mode: input };
  let ms = Number.NaN;
  if (typeof input === 'string' || typeof input === 'number') {
    try {
      ms = parseDurationMs(input, 'walFsync');
    } catch {
      ms = Number.NaN;
    }
  }
  if (!Number.isInteger(ms) || ms <= 0) {
    ctx.addIssue({
      code: 'custom',
      message: `${show(input)} must be 'always', 'never' or a duration such as 100ms (fsync at most that often); see docs/wal.md`,
    });
    return z.NEVER;
  }
  return { mode: 'interval', intervalMs: ms };
});

const batchFailurePolicy = z.enum(['stop', 'continue'], {
  error: (iss) => `${show(iss.input)} must be 'stop' or 'continue'`,
});

const logLevel = z.enum(LOG_LEVELS, {
  error: (iss) => `${show(iss.input)} must be one of ${LOG_LEVELS.join(', ')}; for example debug`,
});

const logFormat = z.enum(LOG_FORMATS, {
  error: (iss) => `${show(iss.input)} must be 'text' (lines for people) or 'json' (lines for a log shipper)`,
});

/** One layer (the file, the environment or the flags): every key optional, unknown keys refused. */
export const configLayerSchema = z.strictObject({
  app: appName.optional(),
  batchInterval: duration({ example: '1s', allowZero: false }).optional(),
  checkpointDir: nonEmptyString('a directory path', '/var/lib/sidestream/clicks').optional(),
  checkpointInterval: duration({ example: '10s', allowZero: false }).optional(),
  allowJobChange: flag.optional(),
  walFsync: walFsync.optional(),
  supervise: flag.optional(),
  restartBudget: wholeNumber(1, DEFAULT_RESTART_BUDGET).optional(),
  restartWindow: duration({ example: '10m', allowZero: false }).optional(),
  http: httpAddress.optional(),
  batchLog: nonEmptyString('a file path', 'batches.jsonl').optional(),
  onBatchFailure: batchFailurePolicy.optional(),
  maxTaskFailures: wholeNumber(1, DEFAULT_MAX_TASK_FAILURES).optional(),
  shutdownTimeout: duration({ example: '10s', allowZero: true }).optional(),
  defaultParallelism: wholeNumber(1, 4).optional(),
  executors: wholeNumber(0, 2).optional(),
  graphite: graphite.optional(),
  pushgateway: pushgateway.optional(),
  // Messages about the token never echo its value.
  httpToken: z
    .string({ error: 'must be a string (quote it in YAML); the value is not shown' })
    .min(16, { error: 'must be at least 16 characters; for example the output of `openssl rand -hex 32`' })
    .optional(),
  logLevel: logLevel.optional(),
  logFormat: logFormat.optional(),
});

export type ConfigLayer = z.output<typeof configLayerSchema>;
export type ConfigField = keyof ConfigLayer;
export const CONFIG_FIELDS = Object.keys(configLayerSchema.shape) as ConfigField[];

/** Problems with the batch interval carry the engine's own code for it. */
const FIELD_CODES: Partial<Record<ConfigField, ErrorCode>> = { batchInterval: 'SS_BATCH_INTERVAL_INVALID' };

/** `batchInterval` -> `SIDESTREAM_BATCH_INTERVAL`. */
export function envVarName(field: ConfigField): string {
  return `SIDESTREAM_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** `batchInterval` -> `--batch-interval`. */
export function flagName(field: ConfigField): string {
  return `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export interface ConfigSources {
  /** Path of the YAML file (--config). */
  file?: string;
  /** Usually process.env; only `SIDESTREAM_<FIELD>` variables are read, empty ones are ignored. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Command-line values by field name (commander's camel-cased option keys). */
  flags?: Readonly<Partial<Record<ConfigField, string | number | undefined>>>;
  /** Used when no layer names the app: the job file's base name, or `demo`; else `sidestream`. */
  defaultApp?: string;
}

export type ConfigResolution =
  | { readonly ok: true; readonly config: AgentConfig }
  | { readonly ok: false; readonly problems: readonly SidestreamError[] };

/** Reads and merges every layer; never throws for bad input, it returns every problem instead. */
export async function resolveConfig(sources: ConfigSources): Promise<ConfigResolution> {
  const problems: SidestreamError[] = [];
  const layers: ConfigLayer[] = [];
  if (sources.file !== undefined) {
    const file = sources.file;
    const raw = await readConfigFile(file, problems);
    if (raw !== undefined) layers.push(parseLayer(raw, (key) => `${file}: ${key}`, problems));
  }
  const env = sources.env ?? {};
  const fromEnv: Record<string, string> = {};
  for (const field of CONFIG_FIELDS) {
    const value = env[envVarName(field)];
    if (value !== undefined && value !== '') fromEnv[field] = value;
  }
  layers.push(parseLayer(fromEnv, (key) => envVarName(key as ConfigField), problems));
  const fromFlags: Record<string, string | number> = {};
  for (const field of CONFIG_FIELDS) {
    const value = sources.flags?.[field];
    if (value !== undefined) fromFlags[field] = value;
  }
  layers.push(parseLayer(fromFlags, (key) => flagName(key as ConfigField), problems));

  // Later layers win, key by key.
  const merged: ConfigLayer = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      // A later URL (flag or variable) keeps the file's prefix, naming and instance.
      if (key === 'graphite' && merged.graphite)
        merged.graphite = { ...merged.graphite, ...definedOnly(value as GraphiteConfig) };
      else if (key === 'pushgateway' && merged.pushgateway)
        merged.pushgateway = { ...merged.pushgateway, ...definedOnly(value as PushgatewayConfig) };
      else (merged as Record<string, unknown>)[key] = value;
    }
  }
  const app = merged.app ?? sources.defaultApp ?? 'sidestream';
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      app,
      batchIntervalMs: merged.batchInterval ?? DEFAULT_BATCH_INTERVAL_MS,
      checkpointDir: merged.checkpointDir,
      checkpointIntervalMs: merged.checkpointInterval,
      allowJobChange: merged.allowJobChange ?? false,
      ...(merged.walFsync ? { walFsync: merged.walFsync } : {}),
      supervise: merged.supervise ?? false,
      restartBudget: merged.restartBudget ?? DEFAULT_RESTART_BUDGET,
      restartWindowMs: merged.restartWindow ?? DEFAULT_RESTART_WINDOW_MS,
      http: merged.http ?? DEFAULT_HTTP,
      batchLogPath: merged.batchLog,
      onBatchFailure: merged.onBatchFailure ?? 'stop',
      maxTaskFailures: merged.maxTaskFailures ?? DEFAULT_MAX_TASK_FAILURES,
      shutdownTimeoutMs: merged.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
      defaultParallelism: merged.defaultParallelism,
      executors: merged.executors ?? availableParallelism(),
      ...(merged.graphite ? { graphite: merged.graphite } : {}),
      ...(merged.pushgateway ? { pushgateway: merged.pushgateway } : {}),
      ...(merged.httpToken ? { httpToken: merged.httpToken } : {}),
      logLevel: merged.logLevel ?? DEFAULT_LOG_LEVEL,
      logFormat: merged.logFormat ?? DEFAULT_LOG_FORMAT,
    },
  };
}

function definedOnly(value: object): object {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** The file's top-level mapping, or undefined after recording why it cannot be used. */
async function readConfigFile(file: string, problems: SidestreamError[]): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `config file ${file} not found (resolved from ${process.cwd()}); check the path or drop --config`
        : `config file ${file} cannot be read (${(error as Error).message}); check its permissions`;
    problems.push(new SidestreamError('SS_CONFIG_INVALID', reason, { cause: error }));
    return undefined;
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const where = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : '';
      const what = e.message.split('\n')[0];
      problems.push(
        new SidestreamError('SS_CONFIG_INVALID', `${file}: ${where}${what}; fix the YAML syntax there`),
      );
    }
    return undefined;
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(
      new SidestreamError(
        'SS_CONFIG_INVALID',
        `${file}: the file must be a YAML mapping of settings, for example 'batchInterval: 1s'`,
      ),
    );
    return undefined;
  }
  return value;
}

function parseLayer(raw: unknown, where: (key: string) => string, problems: SidestreamError[]): ConfigLayer {
  const result = configLayerSchema.safeParse(raw);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys' && issue.path.length > 0) {
      // Inside a nested mapping (graphite:): name the full path.
      const at = issue.path.map(String);
      for (const key of issue.keys) {
        problems.push(
          new SidestreamError(
            'SS_CONFIG_INVALID',
            `${where(at[0]!)}${at
              .slice(1)
              .map((p) => `.${p}`)
              .join('')}.${key}: unknown key; known keys: ${NESTED_KEYS[at[0]!] ?? 'see docs/telemetry.md'}`,
          ),
        );
      }
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const guess = didYouMean(key, CONFIG_FIELDS);
        const hint = guess ? `did you mean ${guess}?` : `known keys: ${CONFIG_FIELDS.join(', ')}`;
        problems.push(new SidestreamError('SS_CONFIG_INVALID', `${where(key)}: unknown key; ${hint}`));
      }
      continue;
    }
    const field = String(issue.path[0] ?? '');
    const code = FIELD_CODES[field as ConfigField] ?? 'SS_CONFIG_INVALID';
    // A nested value (graphite.url) is named by its full path when the layer wrote a mapping.
    const nested =
      raw && typeof raw === 'object' && typeof (raw as Record<string, unknown>)[field] === 'object'
        ? issue.path
            .slice(1)
            .map((p) => `.${String(p)}`)
            .join('')
        : '';
    problems.push(new SidestreamError(code, `${where(field)}${nested}: ${issue.message}`));
  }
  // Keep the valid fields of a partly bad layer, so one typo does not hide the rest's problems.
  const partial: Record<string, unknown> = {};
  if (raw && typeof raw === 'object') {
    for (const field of CONFIG_FIELDS) {
      const one = configLayerSchema.shape[field].safeParse((raw as Record<string, unknown>)[field]);
      if (one.success && one.data !== undefined) partial[field] = one.data;
    }
  }
  return partial as ConfigLayer;
}

/** The closest known key when it is plausibly a typo (same letters ignoring case/dashes, or a small edit). */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const exact = known.find((k) => norm(k) === norm(key));
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const k of known) {
    const d = editDistance(norm(key), norm(k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
