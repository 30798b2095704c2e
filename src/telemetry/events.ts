/**
 * The ONE typed union of telemetry events: every StreamingListener hook (its arguments as posted
 * on the ListenerBus) and every SourceEvent an input reports through onSourceEvent. It is derived
 * from those two declarations, so a new hook or a new SourceEvent variant is a new member here
 * without anyone editing a list; tables keyed by TelemetryEventType (EVENTS_WITHOUT_METRICS, the
 * coverage test's samples) then fail to compile until they say what happens to it.
 */
import type { SourceEvent } from '../dstream/input-source.js';
import type { StreamingListener } from '../engine/streaming-listener.js';

/** Every hook but onSourceEvent, whose payload is itself a union (below). */
export type ListenerHook = Exclude<keyof StreamingListener, 'onSourceEvent'>;

type ArgsOf<H extends keyof StreamingListener> = Parameters<NonNullable<StreamingListener[H]>>;

/** One listener call: `{ type: 'onBlockStored', args: [block] }`. */
export type HookEvent = {
  [H in ListenerHook]-?: { readonly type: H; readonly args: ArgsOf<H> };
}[ListenerHook];

/** One source event, wrapped like a hook call: `{ type: 'source:rebalance', args: [event] }`. */
export type SourceTelemetryEvent = {
  [T in SourceEvent['type']]: {
    readonly type: `source:${T}`;
    readonly args: [Extract<SourceEvent, { type: T }>];
  };
}[SourceEvent['type']];

export type TelemetryEvent = HookEvent | SourceTelemetryEvent;
export type TelemetryEventType = TelemetryEvent['type'];

/** The event of one listener call, for code that sees hooks generically (tests, recorders). */
export function hookEvent<H extends ListenerHook>(type: H, ...args: ArgsOf<H>): TelemetryEvent {
  return { type, args } as unknown as TelemetryEvent;
}

/** Delivers `event` to `listener` through the hook it belongs to; a listener without it ignores it. */
export function deliver(listener: StreamingListener, event: TelemetryEvent): void {
  if (event.type.startsWith('source:')) {
    listener.onSourceEvent?.(event.args[0] as SourceEvent);
    return;
  }
  const fn = listener[event.type as ListenerHook] as ((...a: unknown[]) => void) | undefined;
  fn?.apply(listener, event.args as unknown[]);
}

/**
 * Events the Prometheus listener deliberately maps to no metric, each with the reason. Every
 * other event type must change at least one catalogue metric (test/telemetry/events.test.ts
 * checks both directions by posting a sample of every type).
 */
export const EVENTS_WITHOUT_METRICS: Partial<Record<TelemetryEventType, string>> = {
  onBatchSubmitted:
    'the waiting-batches gauge is read from the scheduler at scrape time; a submission alone changes no counter',
  onBatchStarted: 'every batch number is final only at completion (onBatchCompleted)',
  onOutputOperationStarted: 'per-operation timing is in the batch record and in traces, not in metrics',
  onOutputOperationCompleted: 'per-operation timing is in the batch record and in traces, not in metrics',
  onTaskStarted: 'task attempts are counted once they end (onTaskFailed, and the batch totals)',
  onTaskCompleted: 'task attempts are counted from the batch totals at completion, once per batch',
  onBatchTraceContext: 'trace links belong to tracing (TracingListener), not to metrics',
  'source:offsets-reset':
    'a rare operator event: it is logged and traced; the committed-offset gauge and partition status (rewind) show its effect',
};
