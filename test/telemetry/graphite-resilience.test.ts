/**
 * Telemetry never breaks the data path: with carbon absent at start, killed mid-run and back
 * again, batches keep completing on time, the exporter reconnects, its buffer stays bounded and
 * every dropped line is counted. "carbon" here is a line-protocol server the test controls.
 */
import type { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompletedBatchRecord } from '../../src/events/index.js';
import { StreamingContext } from '../../src/index.js';
import { GraphiteExporter } from '../../src/telemetry/exporters/graphite/graphite-exporter.js';
import { MetricsPipeline } from '../../src/telemetry/metrics-pipeline.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { PrometheusListener } from '../../src/telemetry/prometheus-listener.js';
import { freePort, LineServer, until } from '../support/line-server.js';

const INTERVAL_MS = 200;
const CAP = 150;

let ssc: StreamingContext | undefined;
const servers: LineServer[] = [];
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  for (const s of servers.splice(0)) await s.kill();
});

describe('Graphite exporter resilience', () => {
  it('carbon absent, then up, killed, up again: batches stay on time, reconnects, bounded buffer, drops counted', async () => {
    const port = await freePort();
    ssc = new StreamingContext({
      appName: 'resilience',
      batchIntervalMs: INTERVAL_MS,
      defaultParallelism: 2,
    });
    const metrics = new MetricsRegistry('resilience');
    const exporter = new GraphiteExporter({
      app: 'resilience',
      registry: metrics.registry,
      target: { protocol: 'tcp', host: '127.0.0.1', port },
      maxBufferedLines: CAP,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      connectTimeoutMs: 500,
    });
    const pipeline = new MetricsPipeline({
      registry: metrics.registry,
      app: 'resilience',
      applying: new PrometheusListener(metrics.registry, ssc, 'test'),
      exporters: [exporter],
    });
    ssc.addStreamingListener(pipeline);
    const batches: CompletedBatchRecord[] = [];
    let maxBuffered = 0;
    ssc.addStreamingListener({
      onBatchCompleted: (b) => {
        batches.push(b);
        maxBuffered = Math.max(maxBuffered, exporter.stats.bufferedLines);
      },
    });
    ssc.queueStream(Array.from({ length: 200 }, (_, i) => [i, i + 1])).foreachRDD(async (rdd) => {
      await rdd.count();
    });
    await ssc.start();
    const waitBatches = (n: number) => until(() => batches.length >= n, 20 * n * INTERVAL_MS);

    // Phase 1: nothing listens. Lines pile up to the cap, then the oldest go.
    await waitBatches(8);
    expect(exporter.stats.droppedLines).toBeGreaterThan(0);
    expect(exporter.stats.errors).toBeGreaterThan(0);
    expect(exporter.isConnected).toBe(false);

    // Phase 2: carbon comes up; the exporter reconnects on its own.
    const first = new LineServer();
    servers.push(first);
    await first.listen(port);
    await until(() => exporter.isConnected && first.lines.length > 0, 5000);
    const atUp = batches.length;
    await waitBatches(atUp + 5);

    // Phase 3: carbon dies mid-run.
    await first.kill();
    await until(() => !exporter.isConnected, 5000);
    const droppedBefore = exporter.stats.droppedLines;
    const atDown = batches.length;
    await waitBatches(atDown + 8);
    expect(exporter.stats.droppedLines).toBeGreaterThan(droppedBefore);

    // Phase 4: back again.
    const second = new LineServer();
    servers.push(second);
    await second.listen(port);
    await until(() => exporter.isConnected && second.lines.length > 0, 5000);
    const atBack = batches.length;
    await waitBatches(atBack + 5);
    const lastTime = batches.at(-1)!.batchTime;
    await until(() => second.lines.some((l) => l.endsWith(` ${Math.floor(lastTime / 1000)}`)), 5000);

    await ssc.stop({ graceful: true, timeoutMs: 5000 });
    ssc = undefined;
    await pipeline.stop(1000);

    // Batches kept their schedule the whole time: consecutive batch times, no delay growth.
    const times = batches.map((b) => b.batchTime);
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual(times.slice(1).map(() => INTERVAL_MS));
    const delays = batches.map((b) => b.schedulingDelayMs);
    expect(Math.max(...delays), `scheduling delays ${delays.join(',')}`).toBeLessThan(INTERVAL_MS / 2);
    expect(batches.every((b) => b.outcome === 'succeeded')).toBe(true);

    const stats = exporter.stats;
    expect(stats.connects).toBe(2);
    expect(maxBuffered).toBeLessThanOrEqual(CAP);
    expect(stats.bufferedLines).toBe(0);
    const counter = metrics.registry.getSingleMetric('sidestream_exporter_errors_total') as Counter;
    const counted = (await counter.get()).values.find((v) => v.labels.exporter === 'graphite')?.value;
    expect(counted).toBe(stats.errors + stats.droppedLines);
    console.info(
      `[graphite resilience] ${batches.length} batches of ${INTERVAL_MS} ms, max scheduling delay ` +
        `${Math.max(...delays)} ms, ${stats.connects} connects, ${stats.errors} errors, ` +
        `${stats.droppedLines} dropped lines, ${stats.sentLines} sent, max buffered ${maxBuffered}/${CAP}`,
    );
  }, 60_000);
});
