/**
 * MetricsExporter: what the metrics pipeline (src/telemetry/metrics-pipeline.ts) hands each
 * snapshot to. An exporter only sees snapshots: it never listens to the engine and never reads
 * the registry, so when it runs relative to the listeners that update the metrics cannot matter.
 */
import type { MetricsSnapshot } from '../metrics-snapshot.js';

export interface MetricsExporter {
  /** Its `exporter` label on sidestream_exporter_errors_total (graphite, ...). */
  readonly name: string;
  /**
   * One snapshot: after a batch (stamped with the batch time) and a last one on stop (stamped
   * with the stop time). Must return quickly (queue, not send) and should not throw; the
   * pipeline counts a throw as one exporter error.
   */
  export(snapshot: MetricsSnapshot): void;
  /**
   * After the last snapshot: delivers what is still queued, within `timeoutMs` when given, then
   * releases its connections. Idempotent; never rejects.
   */
  stop(timeoutMs?: number): Promise<void>;
}
