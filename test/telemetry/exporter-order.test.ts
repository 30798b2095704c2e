/**
 * Graphite and Prometheus give the same figures whichever order the context's listeners are
 * registered in. A StreamingContext on a ManualClock runs a few batches (catalogue metrics, a
 * job counter and histogram, event-time lags) with the metrics pipeline registered before, then
 * after, the other listeners. After each batch, every counter, gauge and histogram count and sum
 * in the Prometheus text of the registry must equal the line the Graphite exporter sent (to a
 * line server) for that batch, and nothing else may be sent but the histograms' derived
 * statistics. Before the pipeline, an exporter registered ahead of the Prometheus listener sent
 * each batch's values one batch late.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamingListener } from '../../src/events/index.js';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { GraphiteExporter } from '../../src/telemetry/exporters/graphite/graphite-exporter.js';
import { type GraphiteMetric, graphiteName } from '../../src/telemetry/graphite-naming.js';
import { METRICS } from '../../src/telemetry/metrics.js';
import { MetricsPipeline } from '../../src/telemetry/metrics-pipeline.js';
import { PrometheusListener } from '../../src/telemetry/prometheus-listener.js';
import { LineServer, until } from '../support/line-server.js';
import { waitFor } from '../support/manual-run.js';

const APP = 'order';
/** The job's own metrics, with their labels in declaration order (after `app`). */
const USER: GraphiteMetric[] = [
  { name: 'order_items_total', labelNames: ['parity'] },
  { name: 'order_item_size', labelNames: [] },
];
const SPECS = new Map<string, GraphiteMetric>([...METRICS, ...USER].map((m) => [m.name, m]));

let ssc: StreamingContext | undefined;
const servers: LineServer[] = [];
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  for (const s of servers.splice(0)) await s.kill();
});

/**
 * The figures Graphite must carry, from the Prometheus text: counters and gauges by value,
 * histograms by `_count` and `_sum` (buckets are not sent). Process metrics are not sent.
 */
function expectedFromPrometheus(text: string): Map<string, number> {
  const types = new Map<string, string>();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1] as string, type[2] as string);
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`unparsed sample: ${line}`);
    const [, sampleName = '', labelText = '', value = ''] = sample;
    const labels: Record<string, string> = {};
    for (const m of labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1] as string] = m[2] as string;
    let name = sampleName;
    let suffix: string | undefined;
    if (!types.has(name)) {
      const h = /^(.*)_(bucket|sum|count)$/.exec(sampleName);
      if (!h || types.get(h[1] as string) !== 'histogram') throw new Error(`no family for ${sampleName}`);
      if (h[2] === 'bucket') continue;
      name = h[1] as string;
      suffix = h[2];
    }
    if (name.startsWith('process_') || name.startsWith('nodejs_')) continue;
    const spec = SPECS.get(name);
    if (!spec) throw new Error(`${name} is neither in the catalogue nor declared by the test`);
    out.set(graphiteName(spec, labels, { app: APP }, suffix), Number(value));
  }
  return out;
}

describe('Graphite and Prometheus agree whatever the listener order', () => {
  for (const order of ['pipeline first', 'pipeline last'] as const) {
    it(`${order}: each batch's Graphite lines carry that batch's Prometheus figures`, async () => {
      const server = new LineServer();
      servers.push(server);
      const port = await server.listen();
      const clock = new ManualClock(0);
      ssc = new StreamingContext({ appName: APP, batchIntervalMs: 1000, clock, defaultParallelism: 2 });
      const context = ssc;
      const registry = ssc.metrics.registry;
      const items = ssc.metrics.counter('order_items_total', 'Items, by parity.', ['parity']);
      const sizes = ssc.metrics.histogram('order_item_size', 'Item sizes.', [], [1, 5, 10]);
      const exporter = new GraphiteExporter({
        app: APP,
        registry: registry.registry,
        target: { protocol: 'tcp', host: '127.0.0.1', port },
      });
      const pipeline = new MetricsPipeline({
        registry: registry.registry,
        app: APP,
        applying: new PrometheusListener(registry.registry, ssc, 'test'),
        exporters: [exporter],
      });
      const completed: number[] = [];
      const others: StreamingListener[] = [
        { onBatchCompleted: (b) => void completed.push(b.batchTime) },
        { onBatchStarted: () => {}, onBatchCompleted: () => {}, onTaskFailed: () => {} },
      ];
      const listeners = order === 'pipeline first' ? [pipeline, ...others] : [...others, pipeline];
      for (const l of listeners) ssc.addStreamingListener(l);

      const batches = [[1, 2, 3], [4, 12], [], [7, 7, 7, 7, 0.5]];
      ssc
        .queueStream(
          batches.map((b) => [...b]),
          { eventTime: (x) => clock.now() - x * 1000 },
        )
        .foreachRDD(async (rdd) => {
          for (const x of await rdd.collect()) {
            items.inc({ parity: x % 2 === 0 ? 'even' : 'odd' });
            sizes.observe({}, x);
          }
        });
      await ssc.start();

      for (let n = 1; n <= batches.length; n++) {
        clock.advance(1000);
        await waitFor(() => completed.length >= n, 10_000, `batch ${n}`);
        const stamp = String(Math.floor((completed[n - 1] as number) / 1000));
        // The registry is still for batch n: nothing else runs on a manual clock.
        const expected = expectedFromPrometheus((await registry.render()).body);
        const histograms = [...expected.keys()].filter(
          (k) => k.endsWith('.count') && (expected.get(k) ?? 0) > 0,
        );
        const total = expected.size + 4 * histograms.length;
        const ofBatch = () => server.lines.filter((l) => l.endsWith(` ${stamp}`));
        // Fewer lines than expected fails below, naming the first missing or differing figure.
        await until(() => ofBatch().length >= total, 5000).catch(() => {});
        const sent = new Map(ofBatch().map((l) => [l.split(' ')[0] as string, Number(l.split(' ')[1])]));
        expect(sent.size, `batch ${n}: one line per series`).toBe(ofBatch().length);
        for (const [name, value] of expected) expect(sent.get(name), `batch ${n}: ${name}`).toBe(value);
        // Everything else is a histogram statistic of a non-empty histogram, avg = sum / count.
        for (const name of sent.keys()) {
          if (expected.has(name)) continue;
          const stat = /^(.*)\.(avg|max|p50|p99)$/.exec(name);
          expect(stat, `batch ${n}: unexpected ${name}`).not.toBeNull();
          expect(histograms).toContain(`${stat?.[1]}.count`);
        }
        for (const count of histograms) {
          const base = count.slice(0, -'.count'.length);
          const sum = expected.get(`${base}.sum`) ?? Number.NaN;
          expect(sent.get(`${base}.avg`), `batch ${n}: ${base}.avg`).toBeCloseTo(
            sum / (expected.get(count) ?? 1),
            12,
          );
        }
        expect(sent.size, `batch ${n}: six lines per non-empty histogram`).toBe(total);
        // The batch's own counts, not the previous batch's.
        expect(sent.get(`sidestream.${APP}.batches_total.succeeded`)).toBe(n);
        expect(sent.get(`sidestream.${APP}.batch_total_delay_seconds.count`)).toBe(n);
        const seen = batches.slice(0, n).flat();
        expect(sent.get(`sidestream.${APP}.order_item_size.count`)).toBe(seen.length);
        expect(sent.get(`sidestream.${APP}.order_items_total.even`)).toBe(
          seen.filter((x) => x % 2 === 0).length,
        );
      }
      // The event-time lag histogram and the job's metrics were among the compared figures.
      expect(server.lines.some((l) => l.startsWith(`sidestream.${APP}.event_time_lag_seconds.queue`))).toBe(
        true,
      );
      await context.stop();
      ssc = undefined;
      await pipeline.stop(1000);
      expect(exporter.stats).toMatchObject({ errors: 0, droppedLines: 0, bufferedLines: 0 });
    }, 30_000);
  }
});
