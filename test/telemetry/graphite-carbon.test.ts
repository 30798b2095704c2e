/**
 * The Graphite exporter against the REAL carbon-cache started by `scripts/services.sh up graphite`:
 * a StreamingContext runs a few 1 s batches with the exporter attached, then whisper-fetch reads
 * the points back and they must equal the batch records (and the registry) batch by batch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CompletedBatchRecord } from '../../src/events/index.js';
import { StreamingContext } from '../../src/index.js';
import { GraphiteExporter } from '../../src/telemetry/exporters/graphite/graphite-exporter.js';
import { MetricsPipeline } from '../../src/telemetry/metrics-pipeline.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { PrometheusListener } from '../../src/telemetry/prometheus-listener.js';
import { GRAPHITE_HOST, GRAPHITE_PORT, requireGraphite } from '../support/services.js';
import { eventually, whisperPoints } from '../support/whisper.js';

const hasGraphite = await requireGraphite();

let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

describe.runIf(hasGraphite)('Graphite exporter against carbon-cache', () => {
  for (const protocol of ['tcp', 'udp'] as const) {
    it(`${protocol}: whisper holds each batch's sidestream_batches_total and last_batch_records at its batch time`, async () => {
      const app = `it-${protocol}-${Date.now().toString(36)}-${process.pid}`;
      ssc = new StreamingContext({ appName: app, batchIntervalMs: 1000, defaultParallelism: 2 });
      const metrics = new MetricsRegistry(app);
      const exporter = new GraphiteExporter({
        app,
        registry: metrics.registry,
        target: { protocol, host: GRAPHITE_HOST, port: GRAPHITE_PORT },
      });
      const pipeline = new MetricsPipeline({
        registry: metrics.registry,
        app,
        applying: new PrometheusListener(metrics.registry, ssc, 'test'),
        exporters: [exporter],
      });
      ssc.addStreamingListener(pipeline);
      const batches: { batch: CompletedBatchRecord; succeeded: number }[] = [];
      ssc.addStreamingListener({
        onBatchCompleted: (batch) => {
          batches.push({
            batch,
            succeeded: batches.filter((b) => b.batch.outcome === 'succeeded').length + 1,
          });
        },
      });
      const sizes = [3, 7, 1, 12, 5];
      ssc.queueStream(sizes.map((n) => Array.from({ length: n }, (_, i) => i))).foreachRDD(async (rdd) => {
        await rdd.count();
      });
      await ssc.start();
      const deadline = Date.now() + 15_000;
      while (batches.length < sizes.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await ssc.stop({ graceful: true, timeoutMs: 5000 });
      ssc = undefined;
      await pipeline.stop();
      expect(batches.length).toBeGreaterThanOrEqual(sizes.length);
      expect(exporter.stats).toMatchObject({ errors: 0, droppedLines: 0, bufferedLines: 0 });

      const from = Math.floor(batches[0]!.batch.batchTime / 1000) - 2;
      const prefix = `sidestream.${app}`;
      const lastBatch = batches.at(-1)!.batch;
      const [total, records] = await eventually(async () => {
        const t = await whisperPoints(`${prefix}.batches_total.succeeded`, from);
        const r = await whisperPoints(`${prefix}.last_batch_records`, from);
        if (!t.has(Math.floor(lastBatch.batchTime / 1000))) throw new Error('last batch not written yet');
        return [t, r];
      });
      for (const { batch, succeeded } of batches) {
        const at = Math.floor(batch.batchTime / 1000);
        expect(total.get(at), `batches_total at ${at}`).toBe(succeeded);
        expect(records.get(at), `last_batch_records at ${at}`).toBe(batch.numRecords);
      }
      expect(batches.slice(0, sizes.length).map((b) => b.batch.numRecords)).toEqual(sizes);
      // The registry agrees with the last point.
      const registryTotal = (
        await metrics.registry.getSingleMetric('sidestream_batches_total')!.get()
      ).values.find((v) => v.labels.outcome === 'succeeded')?.value;
      expect(Math.max(...total.values())).toBe(registryTotal);
      // Histogram statistics are there too.
      const count = await eventually(() => whisperPoints(`${prefix}.batch_total_delay_seconds.count`, from));
      expect(Math.max(...count.values())).toBe(batches.length);
    }, 40_000);
  }
});
