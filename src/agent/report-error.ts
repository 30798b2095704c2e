/**
 * How the agent tells a person what went wrong: one line per problem on stderr,
 * `sidestream: error [SS_CODE]: message`, and a stack only when asked for with --verbose.
 * Both go through the agent's logger (logger.ts), which redacts and picks the format.
 */
import { codeOf, describeError } from '../errors.js';
import { type LogFields, log } from './logger.js';

export { codeOf };

export function formatError(error: unknown, verbose: boolean): string {
  const code = codeOf(error);
  const head = code
    ? `sidestream: error [${code}]: ${(error as Error).message}`
    : `sidestream: error: ${describeError(error)}${verbose ? '' : ' (run with --verbose for the stack)'}`;
  return verbose ? [head, ...stackLines(error)].join('\n') : head;
}

/** What --verbose prints under the head line: the stack, then each cause and its stack. */
function stackLines(error: unknown): string[] {
  const lines: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (depth > 0) lines.push(`caused by: ${describeError(e)}`);
    if (e.stack) lines.push(e.stack.split('\n').slice(1).join('\n'));
  }
  return lines;
}

/** The exit status of a command line the CLI refuses (an unknown flag, a bad value): 2, as getopt tools use. */
export const USAGE_EXIT = 2;

/** Logs an error at level error: `code` when it has one, `stack` under --verbose. */
export function reportError(error: unknown, verbose: boolean): void {
  // An error message may quote a URL with its credentials (a driver's connection string): the
  // logger redacts every line.
  const code = codeOf(error);
  const msg = code ? (error as Error).message : describeError(error);
  log().error(msg, {
    ...(code ? { code } : {}),
    ...(verbose ? { stack: stackLines(error).join('\n') } : {}),
  });
}

/** Progress notes of the agent itself go to stderr, so stdout carries only the job's output. */
export function note(message: string, fields?: LogFields): void {
  log().info(message, fields);
}

/** A problem the agent survives (a receiver's or the write-ahead log's error): level warn. */
export function warn(message: string, fields?: LogFields): void {
  log().warn(message, fields);
}
