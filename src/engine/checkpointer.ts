/**
 * Checkpointer: writes the metadata checkpoint of a completed batch (Spark's
 * DoCheckpoint / CheckpointWriter step of JobGenerator) and then tells the inputs what they may
 * clean. The scheduler waits for it before the next batch starts, so a checkpoint is durable
 * before any later batch commits anything. Its events (written, failed) go on the bus.
 */
import { DStreamGraph } from '../dstream/dstream-graph.js';
import type { InputDStream } from '../dstream/input-dstream.js';
import { describeError, isSidestreamError, SidestreamError } from '../errors.js';
import type { EventPoster } from '../events/streaming-listener.js';
import {
  CHECKPOINT_FORMAT_VERSION,
  type CheckpointData,
  type CheckpointStore,
  type JobIdentity,
} from '../state/checkpoint-store.js';
import type { Clock } from '../time.js';

export interface CheckpointerOptions {
  readonly store: CheckpointStore;
  readonly graph: DStreamGraph;
  readonly bus: EventPoster;
  readonly clock: Clock;
  readonly appName: string;
  readonly batchIntervalMs: number;
  /** A positive multiple of the batch interval. */
  readonly checkpointIntervalMs: number;
  readonly defaultParallelism: number;
  readonly job: JobIdentity | undefined;
  /** Resolved configuration recorded in each checkpoint for diagnosis (never read back). */
  readonly configSnapshot: Readonly<Record<string, unknown>> | undefined;
}

export class Checkpointer {
  constructor(private readonly options: CheckpointerOptions) {}

  get dir(): string {
    return this.options.store.dir;
  }

  /** Whether the completed batch `batchTimeMs` gets a checkpoint (every checkpoint interval). */
  isCheckpointTime(batchTimeMs: number): boolean {
    const zero = this.options.graph.zeroTimeMs;
    return zero !== undefined && (batchTimeMs - zero) % this.options.checkpointIntervalMs === 0;
  }

  /**
   * Writes the checkpoint of completed batch `batchTimeMs` with `pendingTimesMs` (generated, not
   * yet run), then lets the inputs clean what only batches at or before the checkpoint needed.
   * Resolves to the failure when the write failed (the caller stops everything: no later batch
   * may commit, no input may clean past the last durable checkpoint); undefined on success.
   */
  async checkpoint(
    batchTimeMs: number,
    pendingTimesMs: readonly number[],
    inputs: readonly InputDStream<unknown>[],
  ): Promise<SidestreamError | undefined> {
    const { store, graph, bus, clock } = this.options;
    const started = clock.now();
    // Captured synchronously, before the clear-metadata of this batch can run.
    const captured = graph.captureCheckpoint(batchTimeMs);
    const zeroTimeMs = graph.zeroTimeMs;
    try {
      if (zeroTimeMs === undefined) throw new Error('the graph has not started');
      const streams = await DStreamGraph.materializeCheckpoint(captured);
      const data: CheckpointData = {
        formatVersion: CHECKPOINT_FORMAT_VERSION,
        appName: this.options.appName,
        batchIntervalMs: this.options.batchIntervalMs,
        checkpointIntervalMs: this.options.checkpointIntervalMs,
        defaultParallelism: this.options.defaultParallelism,
        ...(this.options.job ? { job: this.options.job } : {}),
        ...(this.options.configSnapshot ? { config: this.options.configSnapshot } : {}),
        zeroTimeMs,
        batchTimeMs,
        pendingTimesMs,
        writtenAtMs: started,
        streams,
      };
      const { bytes } = await store.write(data);
      const now = clock.now();
      bus.post('onCheckpointWritten', {
        batchTime: batchTimeMs,
        time: now,
        bytes,
        durationMs: now - started,
      });
    } catch (error) {
      const failure = isSidestreamError(error, 'SS_CHECKPOINT_WRITE_FAILED')
        ? error
        : new SidestreamError(
            'SS_CHECKPOINT_WRITE_FAILED',
            `cannot write the checkpoint of batch ${batchTimeMs} in ${store.dir}: ${describeError(error)}; ` +
              'state values must be structured-cloneable (docs/checkpoints.md). The context stops',
            { cause: error },
          );
      bus.post('onCheckpointFailed', { batchTime: batchTimeMs, message: failure.message });
      return failure;
    }
    let cleanBefore = batchTimeMs;
    for (const c of captured) for (const [t] of c.rdds) cleanBefore = Math.min(cleanBefore, t);
    for (const stream of inputs) {
      try {
        await stream.source.checkpointed?.(batchTimeMs, cleanBefore);
      } catch (error) {
        // Cleaning is housekeeping: the checkpoint is durable whatever the input does with it.
        bus.post('onSourceEvent', {
          type: 'input-error',
          streamId: stream.streamId,
          stream: stream.source.name,
          operation: 'clean',
          message: `cleaning after checkpoint ${batchTimeMs} failed: ${describeError(error)}`,
        });
      }
    }
    return undefined;
  }
}
