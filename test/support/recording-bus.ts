/**
 * RecordingBus: an EventPoster for unit tests that keeps every event posted on it, in order, so a
 * test can check what a component reported without a whole StreamingContext.
 */
import type { EventPoster, HookArgs, ListenerHook } from '../../src/events/index.js';

export class RecordingBus implements EventPoster {
  readonly events: { hook: ListenerHook; args: unknown[] }[] = [];

  post<H extends ListenerHook>(hook: H, ...args: HookArgs<H>): void {
    this.events.push({ hook, args });
  }

  /** The first argument of every event posted with `hook`, in order. */
  payloads<H extends ListenerHook>(hook: H): HookArgs<H>[0][] {
    return this.events.filter((e) => e.hook === hook).map((e) => e.args[0] as HookArgs<H>[0]);
  }
}
