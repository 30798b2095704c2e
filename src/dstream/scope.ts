/**
 * What a DStream needs from the context that owns it. DStreams hold this interface, not the
 * StreamingContext class, so module 1 (static definition) does not depend on module 2.
 */
import type { DStreamGraph } from './dstream-graph.js';
import type { RddEnv } from './rdd.js';

export interface StreamingScope {
  readonly rddEnv: RddEnv;
  readonly batchIntervalMs: number;
  /** Partitions used by shuffles and inputs when the caller names none. */
  readonly defaultParallelism: number;
  readonly graph: DStreamGraph;
  /** Throws SS_CONTEXT_STATE once the context has started: the graph is declared once. */
  assertDeclarable(what: string): void;
  /** Where print() writes; stdout unless the context was given another writer. */
  writeOutput(text: string): void;
}
