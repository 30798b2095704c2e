/**
 * An input stream: a DStream whose RDDs are handed to it by the JobGenerator, which asks the
 * stream's InputSource for each batch before the graph generates anything.
 */
import { DStream } from './dstream.js';
import type { InputSource } from './input-source.js';
import type { StreamingScope } from './scope.js';

export class InputDStream<T> extends DStream<T> {
  readonly streamId: number;

  constructor(
    scope: StreamingScope,
    readonly source: InputSource<T>,
  ) {
    // Input RDDs only exist once the generator has put them; a missing one means no data.
    super(scope, {
      name: source.name,
      parents: [],
      slideMs: scope.batchIntervalMs,
      compute: () => undefined,
    });
    this.streamId = scope.graph.registerInput(this as DStream<unknown>);
  }
}
