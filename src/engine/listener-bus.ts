/**
 * ListenerBus: the one bus every event travels on (Spark's StreamingListenerBus). The engine,
 * receivers, inputs and the write-ahead log post on it (EventPoster); listeners subscribe. A
 * listener that throws is caught and counted: telemetry never breaks a batch.
 */
import type { EventPoster, HookArgs, ListenerHook, StreamingListener } from '../events/streaming-listener.js';

export class ListenerBus implements EventPoster {
  private listeners: StreamingListener[] = [];
  /** Listener calls that threw. */
  errors = 0;
  onListenerError: (hook: ListenerHook, error: unknown) => void = () => {};

  add(listener: StreamingListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  post<H extends ListenerHook>(hook: H, ...args: HookArgs<H>): void {
    for (const listener of this.listeners) {
      const fn = listener[hook] as ((...a: unknown[]) => void) | undefined;
      if (!fn) continue;
      try {
        fn.apply(listener, args);
      } catch (error) {
        this.errors++;
        try {
          this.onListenerError(hook, error);
        } catch {
          // The error reporter itself failed; there is nowhere left to report to.
        }
      }
    }
  }
}
