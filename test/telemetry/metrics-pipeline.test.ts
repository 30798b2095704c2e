/**
 * MetricsPipeline: forwards every hook to the applying listener, exports one snapshot per batch
 * after the batch was applied and a final one on stop, and keeps exporter failures off the
 * data path (counted in sidestream_exporter_errors_total{exporter}).
 */
import type { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { CompletedBatchRecord, StreamingListener } from '../../src/events/index.js';
import type { MetricsExporter } from '../../src/telemetry/exporters/metrics-exporter.js';
import { MetricsPipeline } from '../../src/telemetry/metrics-pipeline.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import type { MetricsSnapshot } from '../../src/telemetry/metrics-snapshot.js';
import { PrometheusListener } from '../../src/telemetry/prometheus-listener.js';

/** Every hook; a new one does not compile here until it is listed. */
const HOOKS: Record<keyof StreamingListener, true> = {
  onSourceEvent: true,
  onBatchSubmitted: true,
  onBatchStarted: true,
  onBatchCompleted: true,
  onOutputOperationStarted: true,
  onOutputOperationCompleted: true,
  onTaskFailed: true,
  onTaskStarted: true,
  onTaskCompleted: true,
  onBatchTraceContext: true,
  onBatchOverdue: true,
  onReceiverStarted: true,
  onReceiverError: true,
  onReceiverStopped: true,
  onBlockStored: true,
  onWalWritten: true,
  onWalError: true,
  onCheckpointWritten: true,
  onCheckpointFailed: true,
  onBatchEventTimeLag: true,
};

const batch = (batchTime: number): CompletedBatchRecord =>
  ({
    app: 'shop',
    batchTime,
    submissionTime: batchTime,
    generationDelayMs: 0,
    processingStartTime: batchTime,
    processingEndTime: batchTime + 10,
    schedulingDelayMs: 0,
    processingDelayMs: 10,
    totalDelayMs: 10,
    numRecords: 0,
    outcome: 'succeeded',
    inputs: [],
    outputOperations: [],
    tasks: { total: 1, failed: 0, retried: 0 },
  }) as CompletedBatchRecord;

class RecordingExporter implements MetricsExporter {
  readonly snapshots: MetricsSnapshot[] = [];
  stops: (number | undefined)[] = [];
  constructor(
    readonly name: string,
    private readonly fail = false,
  ) {}
  export(snapshot: MetricsSnapshot): void {
    if (this.fail) throw new Error('export failed');
    this.snapshots.push(snapshot);
  }
  async stop(timeoutMs?: number): Promise<void> {
    this.stops.push(timeoutMs);
  }
}

function setup(exporters: MetricsExporter[], applying?: StreamingListener) {
  const metrics = new MetricsRegistry('shop');
  const prometheus = new PrometheusListener(
    metrics.registry,
    { appName: 'shop', batchIntervalMs: 1000, batchesWaiting: 0 },
    '1',
  );
  const pipeline = new MetricsPipeline({
    registry: metrics.registry,
    app: 'shop',
    applying: applying ?? prometheus,
    exporters,
    now: () => 99_500,
  });
  const errors = async (exporter: string) =>
    (
      await (metrics.registry.getSingleMetric('sidestream_exporter_errors_total') as Counter).get()
    ).values.find((v) => v.labels.exporter === exporter)?.value;
  return { metrics, pipeline, errors };
}

/** A series' value in a snapshot. */
function seriesValue(snapshot: MetricsSnapshot | undefined, name: string, labels: Record<string, string>) {
  const metric = snapshot?.metrics.find((m) => m.name === name);
  if (!metric || metric.type === 'histogram') return undefined;
  return metric.series.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const flushed = () => new Promise((r) => setTimeout(r, 0));

describe('MetricsPipeline', () => {
  it('forwards every hook, with its arguments, to the applying listener', () => {
    const calls: [string, unknown[]][] = [];
    const applying = new Proxy({} as StreamingListener, {
      get:
        (_target, hook) =>
        (...args: unknown[]) =>
          calls.push([String(hook), args]),
    });
    const { pipeline } = setup([], applying);
    const hooks = Object.keys(HOOKS) as (keyof StreamingListener)[];
    const expected: [string, unknown[]][] = [];
    for (const hook of hooks) {
      const method = pipeline[hook] as (...a: unknown[]) => void;
      // As many distinct arguments as the hook takes (one or two).
      const args = [{ hook }, 7].slice(0, method.length);
      expect(args.length, hook).toBeGreaterThan(0);
      method.apply(pipeline, args);
      expected.push([hook, args]);
    }
    expect(calls).toEqual(expected);
  });

  it('exports one snapshot per batch, read after the batch was applied, stamped with the batch time', async () => {
    const exporter = new RecordingExporter('rec');
    const { pipeline } = setup([exporter]);
    pipeline.onBatchCompleted(batch(1000));
    pipeline.onBatchCompleted(batch(2000));
    await flushed();
    expect(exporter.snapshots.map((s) => s.timeMs)).toEqual([1000, 2000]);
    expect(
      exporter.snapshots.map((s) => seriesValue(s, 'sidestream_batches_total', { outcome: 'succeeded' })),
    ).toEqual([1, 2]);
    expect(pipeline.stats).toMatchObject({ snapshots: 2, readErrors: 0, exportErrors: 0 });
  });

  it('on stop: one final snapshot stamped now, after the batches, then each exporter stops; once', async () => {
    const exporter = new RecordingExporter('rec');
    const { pipeline } = setup([exporter]);
    pipeline.onBatchCompleted(batch(1000));
    const stopped = pipeline.stop(300);
    expect(pipeline.stop(300)).toBe(stopped);
    await stopped;
    expect(exporter.snapshots.map((s) => s.timeMs)).toEqual([1000, 99_500]);
    expect(exporter.stops).toEqual([300]);
    // Later batches are still applied (Prometheus), but no longer exported.
    pipeline.onBatchCompleted(batch(3000));
    await flushed();
    expect(exporter.snapshots).toHaveLength(2);
  });

  it('an exporter that throws is counted and does not stop the others or the engine', async () => {
    const bad = new RecordingExporter('bad', true);
    const good = new RecordingExporter('good');
    const { pipeline, errors } = setup([bad, good]);
    expect(await errors('bad')).toBe(0);
    expect(() => pipeline.onBatchCompleted(batch(1000))).not.toThrow();
    await flushed();
    expect(good.snapshots).toHaveLength(1);
    expect(await errors('bad')).toBe(1);
    expect(await errors('good')).toBe(0);
    expect(pipeline.stats.exportErrors).toBe(1);
  });

  it('a throw from the applying listener reaches the bus, after the batch was exported', async () => {
    const exporter = new RecordingExporter('rec');
    const { pipeline } = setup([exporter], {
      onBatchCompleted: () => {
        throw new Error('listener failed');
      },
    });
    expect(() => pipeline.onBatchCompleted(batch(1000))).toThrow('listener failed');
    await flushed();
    expect(exporter.snapshots.map((s) => s.timeMs)).toEqual([1000]);
  });

  it('without exporters it reads nothing', async () => {
    const { pipeline, metrics } = setup([]);
    let reads = 0;
    const list = metrics.registry.getMetricsAsArray.bind(metrics.registry);
    metrics.registry.getMetricsAsArray = () => {
      reads++;
      return list();
    };
    pipeline.onBatchCompleted(batch(1000));
    await pipeline.stop();
    expect(reads).toBe(0);
    expect(pipeline.stats.snapshots).toBe(0);
  });
});
