/**
 * ShuffleDependency: the boundary between a parent RDD and the RDD that reads it reshuffled
 * (reduceByKey, groupByKey, cogroup, join, repartition). A reduce partition needs the output of
 * every map partition, so a shuffle is a stage boundary: its map side runs first, as one stage of
 * tasks over all of the parent's partitions (RDD.prepare runs it before any task of the child),
 * and only then do the child's tasks read their buckets. Everything upstream of the boundary is
 * fused into the map tasks; everything downstream into the reduce-side tasks.
 *
 * The caller's map task decides what a bucket holds (key-combined Maps for combineByKey, plain
 * arrays for repartition); this class only runs the map side, transposes its outputs into
 * buckets per reduce partition and hands them out.
 */
import type { RDD } from './rdd.js';
import { shuffleRemote } from './rdd-remoting.js';

export class ShuffleDependency<B = unknown> {
  /** The reduce-side RDD, set once it is constructed (its lineage names the shuffle). */
  owner: RDD<unknown> | undefined;
  /** `outputs[j][m]`: what map task m bucketed for reduce partition j. */
  private outputs: B[][] = [];
  private ran = false;

  /**
   * @param numPartitions the reduce side's partition count: every map task returns that many buckets
   * @param name the reduce-side operator's name; the map stage is "map side of <name>"
   * @param mapTask one map task: the parent's partition combined and bucketed
   */
  constructor(
    readonly parent: RDD<unknown>,
    readonly numPartitions: number,
    private readonly name: string,
    readonly mapTask: (partition: number) => B[] | Promise<B[]>,
  ) {}

  /** True once `run` completed: every reduce partition's buckets are in place. */
  get done(): boolean {
    return this.ran;
  }

  /** Computes the map side as tasks; afterwards the child reads buckets. */
  async run(): Promise<void> {
    const parent = this.parent;
    const remote = shuffleRemote(this, 0);
    const perMap = await parent.env.tasks.runTasks(
      {
        name: `map side of ${this.name}`,
        rddId: parent.id,
        partitions: Array.from({ length: parent.numPartitions }, (_, p) => p),
        ...(remote ? { remote } : {}),
      },
      this.mapTask,
    );
    this.outputs = Array.from({ length: this.numPartitions }, (_, j) =>
      // biome-ignore lint/style/noNonNullAssertion: every map task returns one bucket per reduce partition (numPartitions of them).
      perMap.map((buckets) => buckets[j]!),
    );
    this.ran = true;
  }

  /** Driver side: the map outputs reduce partition `j` reads (also the reduce task's own input). */
  bucket(j: number): B[] {
    return this.outputs[j] ?? [];
  }

  /** Worker side: installs the map outputs reduce partition `j` reads. */
  provide(j: number, outputs: readonly unknown[]): void {
    this.outputs[j] = outputs as B[];
  }
}
