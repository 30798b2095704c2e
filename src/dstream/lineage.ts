/**
 * Stable RDD identities (LineageId): the names under which an executor worker finds, in its own
 * copy of the job's graph, the RDD a driver-side task computes (see docs/design/executors.md).
 * What a worker is shipped to rebuild an RDD lives in rdd-remoting.ts.
 */
import type { RDD } from './rdd.js';
import type { LineageId } from './task-runner.js';

/**
 * A DStream computes its batch RDD inside `within`, and every RDD constructed meanwhile takes the
 * next ordinal under that stream and time. The compute functions are deterministic in structure,
 * so a worker that declares the same graph and generates the same batch gets the same keys. With
 * `track`, every keyed RDD is kept by key (worker side, cleared after each task).
 */
export class Lineage {
  private readonly stack: { prefix: string; zeroTimeMs: number; n: number }[] = [];
  readonly registry: Map<string, RDD<unknown>> | undefined;

  constructor(track = false) {
    this.registry = track ? new Map() : undefined;
  }

  within<R>(prefix: string, zeroTimeMs: number, f: () => R): R {
    this.stack.push({ prefix, zeroTimeMs, n: 0 });
    try {
      return f();
    } finally {
      this.stack.pop();
    }
  }

  next(): LineageId | undefined {
    const top = this.stack[this.stack.length - 1];
    if (!top) return undefined;
    return { key: `${top.prefix}#${top.n++}`, zeroTimeMs: top.zeroTimeMs };
  }

  register(rdd: RDD<unknown>): void {
    if (rdd.lineage) this.registry?.set(rdd.lineage.key, rdd);
  }
}
