/**
 * startedContext: the InputContext a source was given by start(). Sources keep it in a field
 * that is empty until then; reading it through here turns a source used before start() into an
 * error naming the source, rather than a TypeError somewhere inside a batch.
 */
import type { InputContext } from '../dstream/input-source.js';

export function startedContext(ctx: InputContext | undefined, source: string): InputContext {
  if (!ctx) throw new Error(`${source}: the source was used before start()`);
  return ctx;
}
