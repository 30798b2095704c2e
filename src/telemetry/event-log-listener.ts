/**
 * EventLogListener: writes every event's log line from the event table (event-table.ts) to a
 * logger, at the row's level. Rows without a log effect write nothing. The agent gives it its own
 * logger; a library user can give any object with the four level methods.
 */
import type { ListenerHook, StreamingListener, TelemetryEventType } from '../events/index.js';
import { type EventLogLevel, eventTypeOf, hasEffect, rowOf, TABLE_HOOKS } from './event-table.js';

/** What the listener writes to: a leveled logger (the agent's pino logger fits). */
export interface EventLogSink {
  isEnabled(level: EventLogLevel): boolean;
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface EventLogOptions {
  /** Event types whose line another writer prints (the agent's terminal progress line). */
  readonly except?: readonly TelemetryEventType[];
}

export function eventLogListener(sink: EventLogSink, options: EventLogOptions = {}): StreamingListener {
  const except = new Set(options.except ?? []);
  const listener: Partial<Record<ListenerHook, (...args: unknown[]) => void>> = {};
  for (const hook of TABLE_HOOKS) {
    listener[hook] = (...args: unknown[]) => {
      if (except.has(eventTypeOf(hook, args))) return;
      const log = rowOf(hook, args).log;
      if (!hasEffect(log)) return;
      const level = typeof log.level === 'function' ? log.level(...args) : log.level;
      // Building a message costs more than checking the level: skip it when nobody reads it.
      if (!sink.isEnabled(level)) return;
      sink[level](log.message(...args), log.fields?.(...args));
    };
  }
  return listener as StreamingListener;
}
