import dgram from 'node:dgram';
import net from 'node:net';
import { Counter, Gauge, type Histogram } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GraphiteExporter,
  type GraphiteExporterOptions,
} from '../../src/telemetry/exporters/graphite/graphite-exporter.js';
import { parseGraphiteUrl } from '../../src/telemetry/exporters/graphite/graphite-target.js';
import { reconnectDelayMs } from '../../src/telemetry/exporters/graphite/tcp-connection.js';
import { MAX_DATAGRAM_BYTES } from '../../src/telemetry/exporters/graphite/udp-connection.js';
import { MetricsPipeline } from '../../src/telemetry/metrics-pipeline.js';
import { MetricsReader } from '../../src/telemetry/metrics-reader.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { freePort, LineServer, until } from '../support/line-server.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function exporter(options: Partial<GraphiteExporterOptions> & Pick<GraphiteExporterOptions, 'target'>) {
  const metrics = new MetricsRegistry('clicks');
  const e = new GraphiteExporter({ app: 'clicks', registry: metrics.registry, random: () => 1, ...options });
  cleanup.push(() => e.stop(200));
  const counter = (name: string) => metrics.registry.getSingleMetric(name) as Counter;
  const reader = new MetricsReader(metrics.registry);
  /** What the metrics pipeline does after a batch: one snapshot of the registry, exported. */
  const flush = async (timeMs: number) => e.export(await reader.read(timeMs));
  /** The pipeline the agent runs, around a listener that applies nothing. */
  const pipeline = () =>
    new MetricsPipeline({ registry: metrics.registry, app: 'clicks', applying: {}, exporters: [e] });
  return { e, metrics, counter, flush, pipeline };
}

describe('parseGraphiteUrl', () => {
  it('reads tcp:// and udp:// HOST:PORT and refuses the rest', () => {
    expect(parseGraphiteUrl('tcp://127.0.0.1:2003')).toEqual({
      protocol: 'tcp',
      host: '127.0.0.1',
      port: 2003,
    });
    expect(parseGraphiteUrl('udp://[::1]:2003')).toEqual({ protocol: 'udp', host: '::1', port: 2003 });
    for (const bad of ['127.0.0.1:2003', 'http://h:2003', 'tcp://h', 'tcp://h:0', 'tcp://h:70000']) {
      expect(parseGraphiteUrl(bad), bad).toBeUndefined();
    }
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from the minimum up to the cap, with the jitter in [d/2, d]', () => {
    expect([0, 1, 2, 3, 8, 50].map((n) => reconnectDelayMs(n, 200, 30_000, 1))).toEqual([
      200, 400, 800, 1600, 30_000, 30_000,
    ]);
    expect(reconnectDelayMs(2, 200, 30_000, 0)).toBe(400);
    expect(reconnectDelayMs(2, 200, 30_000, 0.5)).toBe(600);
  });
});

describe('GraphiteExporter over TCP', () => {
  it('sends counters, gauges and histogram statistics stamped with the batch time', async () => {
    const server = new LineServer();
    const port = await server.listen();
    cleanup.push(() => server.kill());
    const { e, metrics, flush } = exporter({ target: { protocol: 'tcp', host: '127.0.0.1', port } });
    const { PrometheusListener } = await import('../../src/telemetry/prometheus-listener.js');
    new PrometheusListener(
      metrics.registry,
      { appName: 'clicks', batchIntervalMs: 1000, batchesWaiting: 0 },
      '1',
    );
    (metrics.registry.getSingleMetric('sidestream_batches_total') as Counter).inc(
      { app: 'clicks', outcome: 'succeeded' },
      3,
    );
    (metrics.registry.getSingleMetric('sidestream_batch_total_delay_seconds') as Histogram).observe(
      { app: 'clicks' },
      0.02,
    );
    new Counter({
      name: 'shop_orders_total',
      help: 'h',
      labelNames: ['app', 'country'],
      registers: [metrics.registry],
    }).inc({ app: 'clicks', country: 'FR' }, 2);
    await flush(1_763_800_000_999);
    await until(() => server.lines.some((l) => l.includes('p99')));
    const byName = new Map(server.lines.map((l) => [l.split(' ')[0], l.split(' ').slice(1)]));
    expect(byName.get('sidestream.clicks.batches_total.succeeded')).toEqual(['3', '1763800000']);
    expect(byName.get('sidestream.clicks.batches_total.failed')).toEqual(['0', '1763800000']);
    expect(byName.get('sidestream.clicks.batch_interval_seconds')).toEqual(['1', '1763800000']);
    expect(byName.get('sidestream.clicks.batch_total_delay_seconds.count')?.[0]).toBe('1');
    expect(byName.get('sidestream.clicks.batch_total_delay_seconds.avg')?.[0]).toBe('0.02');
    expect(byName.get('sidestream.clicks.batch_total_delay_seconds.max')?.[0]).toBe('0.025');
    expect(Number(byName.get('sidestream.clicks.batch_total_delay_seconds.p50')?.[0])).toBeCloseTo(0.0175);
    expect(byName.get('sidestream.clicks.exporter_errors_total.graphite')?.[0]).toBe('0');
    expect(byName.get('sidestream.clicks.shop_orders_total.FR')).toEqual(['2', '1763800000']);
    // prom-client's process metrics stay on /metrics.
    expect(server.lines.every((l) => l.startsWith('sidestream.clicks.'))).toBe(true);
    expect(server.lines.some((l) => /process_|nodejs_/.test(l))).toBe(false);
    expect(e.stats).toMatchObject({ connects: 1, errors: 0, droppedLines: 0, bufferedLines: 0 });
  });

  it('buffers while carbon is absent, drops the OLDEST lines beyond the bound, counts them, then delivers', async () => {
    const port = await freePort();
    const { e, counter, flush } = exporter({
      target: { protocol: 'tcp', host: '127.0.0.1', port },
      maxBufferedLines: 5,
      reconnectMinMs: 20,
      reconnectMaxMs: 40,
    });
    const errors = () => counter('sidestream_exporter_errors_total').get();
    // Without the listener only the exporter's own counter is in the catalogue: one line a flush.
    for (let t = 1; t <= 8; t++) await flush(t * 1000);
    await until(() => e.stats.errors >= 1);
    expect(e.stats.bufferedLines).toBe(5);
    expect(e.stats.droppedLines).toBe(3);
    const value = (await errors()).values.find((v) => v.labels.exporter === 'graphite')?.value;
    expect(value).toBe(e.stats.errors + e.stats.droppedLines);

    const server = new LineServer();
    await server.listen(port);
    cleanup.push(() => server.kill());
    await until(() => server.lines.length >= 5);
    // The five newest flushes (t = 4..8) survive, in order.
    expect(server.lines.map((l) => l.split(' ')[2])).toEqual(['4', '5', '6', '7', '8']);
    expect(e.stats.bufferedLines).toBe(0);
  });

  it('reconnects with backoff after the server drops the connection and keeps the buffer bounded', async () => {
    const server = new LineServer();
    const port = await server.listen();
    const { e, flush } = exporter({
      target: { protocol: 'tcp', host: '127.0.0.1', port },
      maxBufferedLines: 10,
      reconnectMinMs: 20,
      reconnectMaxMs: 50,
    });
    await flush(1000);
    await until(() => server.lines.length === 1);
    await server.kill();
    await until(() => !e.isConnected);
    for (let t = 2; t <= 30; t++) await flush(t * 1000);
    expect(e.stats.bufferedLines).toBeLessThanOrEqual(10);
    await new Promise((r) => setTimeout(r, 150)); // a few failed reconnects
    expect(e.stats.errors).toBeGreaterThanOrEqual(2);
    const again = new LineServer();
    await again.listen(port);
    cleanup.push(() => again.kill());
    await until(() => again.lines.length >= 10);
    expect(e.stats.connects).toBe(2);
    expect(e.stats.droppedLines).toBe(19);
    expect(again.lines.at(-1)?.split(' ')[2]).toBe('30');
  });

  it('a carbon that stops reading: flush stays fast, the buffer stays bounded, drops are counted', async () => {
    const stalled = net.createServer((socket) => socket.pause());
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', () => resolve()));
    const conns = new Set<net.Socket>();
    stalled.on('connection', (c) => conns.add(c));
    cleanup.push(async () => {
      for (const c of conns) c.destroy();
      await new Promise<void>((resolve) => stalled.close(() => resolve()));
    });
    const port = (stalled.address() as net.AddressInfo).port;
    const { e, metrics, flush, pipeline } = exporter({
      target: { protocol: 'tcp', host: '127.0.0.1', port },
      maxBufferedLines: 10_000,
    });
    const agent = pipeline();
    const wide = new Counter({
      name: 'wide_total',
      help: 'h',
      labelNames: ['app', 'k'],
      registers: [metrics.registry],
    });
    for (let i = 0; i < 5000; i++) wide.inc({ app: 'clicks', k: `key-${'x'.repeat(100)}-${i}` });
    await flush(0); // connects lazily, at the first flush
    await until(() => e.isConnected);
    let slowest = 0;
    for (let t = 1; t <= 20; t++) {
      const started = performance.now();
      agent.onBatchCompleted({ batchTime: t * 1000 } as never);
      slowest = Math.max(slowest, performance.now() - started);
      await flush(t * 1000 + 500);
    }
    expect(slowest).toBeLessThan(50);
    expect(e.stats.bufferedLines).toBeLessThanOrEqual(10_000);
    expect(e.stats.droppedLines).toBeGreaterThan(0);
  });

  it('a registry read that fails is counted, not thrown', async () => {
    const { e, metrics, counter, pipeline } = exporter({
      target: { protocol: 'tcp', host: '127.0.0.1', port: await freePort() },
    });
    const agent = pipeline();
    new Gauge({
      name: 'broken_gauge',
      help: 'h',
      registers: [metrics.registry],
      collect() {
        throw new Error('collect failed');
      },
    });
    expect(() => agent.onBatchCompleted({ batchTime: 1000 } as never)).not.toThrow();
    await agent.stop(200); // the final snapshot fails too
    expect(agent.stats).toMatchObject({ snapshots: 0, readErrors: 2 });
    const errors = (await counter('sidestream_exporter_errors_total').get()).values;
    expect(errors.find((v) => v.labels.exporter === 'graphite')?.value).toBe(2);
    expect(e.stats.flushes).toBe(0);
  });

  it('never throws from onBatchCompleted or export when the host does not resolve; stop() is bounded', async () => {
    const { e, flush, pipeline } = exporter({
      target: { protocol: 'tcp', host: 'no-such-host.invalid', port: 2003 },
      reconnectMinMs: 10,
    });
    const agent = pipeline();
    expect(() => agent.onBatchCompleted({ batchTime: 1000 } as never)).not.toThrow();
    await flush(2000);
    const started = Date.now();
    await agent.stop(100);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e.stats.bufferedLines).toBe(0);
  });
});

describe('GraphiteExporter over UDP', () => {
  it('sends whole lines in datagrams under 1400 bytes', async () => {
    const server = dgram.createSocket('udp4');
    const datagrams: Buffer[] = [];
    server.on('message', (m) => datagrams.push(m));
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', () => resolve()));
    cleanup.push(async () => {
      server.close();
    });
    const port = server.address().port;
    const { metrics, flush } = exporter({ target: { protocol: 'udp', host: '127.0.0.1', port } });
    const { PrometheusListener } = await import('../../src/telemetry/prometheus-listener.js');
    new PrometheusListener(
      metrics.registry,
      { appName: 'clicks', batchIntervalMs: 1000, batchesWaiting: 0 },
      '1',
    );
    const processed = metrics.registry.getSingleMetric('sidestream_records_processed_total') as Counter;
    for (let i = 0; i < 100; i++) processed.inc({ app: 'clicks', stream: `stream-${i}` }, i);
    await flush(5000);
    await until(() => datagrams.join('').split('\n').filter(Boolean).length >= 100);
    expect(datagrams.length).toBeGreaterThan(1);
    for (const d of datagrams) {
      expect(d.length).toBeLessThan(MAX_DATAGRAM_BYTES + 1);
      expect(d.toString().endsWith('\n')).toBe(true);
    }
    const lines = datagrams.join('').split('\n').filter(Boolean);
    expect(lines).toContain('sidestream.clicks.records_processed_total.stream-42 42 5');
  });
});
