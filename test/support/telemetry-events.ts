/**
 * Delivering a TelemetryEvent (`{ type, args }`) to a listener by hand: through its hook, or
 * through onSourceEvent for an input-event variant (`source:<type>`).
 */
import type { ListenerHook, SourceEvent, StreamingListener, TelemetryEvent } from '../../src/events/index.js';

export function deliver(listener: StreamingListener, event: TelemetryEvent): void {
  if (event.type.startsWith('source:')) {
    listener.onSourceEvent?.(event.args[0] as SourceEvent);
    return;
  }
  const fn = listener[event.type as ListenerHook] as ((...a: unknown[]) => void) | undefined;
  fn?.apply(listener, event.args as unknown[]);
}
