/**
 * The agent's own log: one pino logger, levels trace..fatal, on stderr (stdout carries only the
 * job's output). Two formats:
 * - `text` (the default): the human lines the agent always printed, `sidestream: <msg>` and
 *   `sidestream: error [SS_CODE]: <msg>`, after the entry's time in ISO-8601 UTC with
 *   milliseconds (`2026-12-05T07:12:03.123Z sidestream: ...`): a line in a file or a container
 *   log is placed in time without the shipper's own stamp, and greps for `sidestream: ` still
 *   match (unanchored);
 * - `json`: pino's JSON lines with `time`, `app`, `level` (a label), `msg`, `code` for an error
 *   with a catalogue code, and the call site's structured fields (batchTime, delays, ...).
 * Both are written synchronously by a small destination in this module (no pino-pretty worker
 * thread), and both redact with redact.ts's rules (the same as GET /api/status): a secret-named
 * field keeps only `[redacted]`, and in every string a URL's user-info and secret query parameters
 * are replaced, so they never reach the log.
 */
import { type Logger as PinoLogger, pino } from 'pino';
import { redactSecrets, redactText } from '../redact.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
export const DEFAULT_LOG_FORMAT: LogFormat = 'text';

export type LogFields = Readonly<Record<string, unknown>>;

export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly format?: LogFormat;
  /** The `app` field of every JSON line; default `sidestream`. */
  readonly app?: string;
  /** Where finished lines go; default process.stderr. */
  readonly write?: (line: string) => void;
  /** Epoch ms of each entry (its `time`, in both formats); default Date.now, injected by tests. */
  readonly now?: () => number;
}

/** pino's numeric levels: 10 trace ... 60 fatal. */
const LEVEL_VALUES: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};
const ERROR_LEVEL = 50;
const INFO_LEVEL = 30;

/**
 * A `text` line from pino's JSON record, after its `time` (epoch ms) as ISO-8601 UTC when it has
 * one. Errors keep the house format, with the stack lines (`stack`, set only under --verbose)
 * below them, unstamped: they continue the entry above; below info a level label marks debug
 * output.
 */
export function formatTextLine(record: Readonly<Record<string, unknown>>): string {
  const time = typeof record.time === 'number' ? `${new Date(record.time).toISOString()} ` : '';
  return `${time}${formatTextBody(record)}`;
}

function formatTextBody(record: Readonly<Record<string, unknown>>): string {
  const level = typeof record.level === 'number' ? record.level : LEVEL_VALUES[String(record.level)];
  const msg = String(record.msg ?? '');
  const stack = typeof record.stack === 'string' ? record.stack : undefined;
  if ((level ?? INFO_LEVEL) >= ERROR_LEVEL) {
    const head =
      typeof record.code === 'string'
        ? `sidestream: error [${record.code}]: ${msg}`
        : `sidestream: error: ${msg}${stack === undefined ? ' (run with --verbose for the stack)' : ''}`;
    return stack ? `${head}\n${stack}` : head;
  }
  if ((level ?? INFO_LEVEL) < INFO_LEVEL) {
    const label = LOG_LEVELS.find((l) => LEVEL_VALUES[l] === level) ?? 'debug';
    return `sidestream: ${label}: ${msg}`;
  }
  return `sidestream: ${msg}`;
}

/**
 * A synchronous pino destination: pino hands it each serialized JSON line. Every line is parsed
 * and redacted as a whole (msg and fields alike) before it is written in the chosen format.
 */
function destination(format: LogFormat, write: (line: string) => void): { write(line: string): void } {
  return {
    write: (line) => {
      let record: Record<string, unknown>;
      try {
        record = redactSecrets(JSON.parse(line)) as Record<string, unknown>;
      } catch {
        // Not expected from pino; still never unredacted.
        write(redactText(line));
        return;
      }
      // redactText again on the text line: its stack and message are plain text.
      write(format === 'json' ? `${JSON.stringify(record)}\n` : `${redactText(formatTextLine(record))}\n`);
    },
  };
}

export interface AgentLogger {
  readonly level: LogLevel;
  readonly format: LogFormat;
  isEnabled(level: LogLevel): boolean;
  trace(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  fatal(msg: string, fields?: LogFields): void;
}

export function createLogger(options: LoggerOptions = {}): AgentLogger {
  const level = options.level ?? DEFAULT_LOG_LEVEL;
  const format = options.format ?? DEFAULT_LOG_FORMAT;
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? Date.now;
  const logger: PinoLogger = pino(
    {
      level,
      // pino's own format of its default stamp, from the injected clock.
      timestamp: () => `,"time":${now()}`,
      base: { app: options.app ?? 'sidestream' },
      formatters: {
        level: (label) => ({ level: label }),
      },
    },
    destination(format, write),
  );
  const at =
    (name: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      if (fields) logger[name](fields, msg);
      else logger[name](msg);
    };
  return {
    level,
    format,
    isEnabled: (l) => logger.isLevelEnabled(l),
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
  };
}

let current: AgentLogger = createLogger();

/** The agent's logger; text at info until configureLogger is called with the resolved config. */
export function log(): AgentLogger {
  return current;
}

/** Replaces the agent's logger (the CLI calls it once the configuration is known). */
export function configureLogger(options: LoggerOptions): AgentLogger {
  current = createLogger(options);
  return current;
}
