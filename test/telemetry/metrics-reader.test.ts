/**
 * MetricsReader: one snapshot of the registry as data: counters and gauges by value, histograms
 * by series, process metrics and unreadable histograms left out, nothing changing afterwards.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BulkHistogram } from '../../src/telemetry/bulk-histogram.js';
import { MetricsReader } from '../../src/telemetry/metrics-reader.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import type { HistogramSnapshot } from '../../src/telemetry/metrics-snapshot.js';

function setup() {
  const metrics = new MetricsRegistry('shop');
  const registers = [metrics.registry];
  let waiting = 3;
  const orders = new Counter({
    name: 'shop_orders_total',
    help: 'o',
    labelNames: ['app', 'country'],
    registers,
  });
  new Gauge({
    name: 'shop_waiting',
    help: 'w',
    labelNames: ['app'],
    registers,
    collect() {
      this.set({ app: 'shop' }, waiting);
    },
  });
  const amounts = new BulkHistogram({
    name: 'shop_amount_euros',
    help: 'a',
    labelNames: ['app'],
    buckets: [10, 100],
    registers,
  });
  return { metrics, orders, amounts, setWaiting: (n: number) => (waiting = n) };
}

describe('MetricsReader', () => {
  it('reads counters, collected gauges and histograms in registration order, without process metrics', async () => {
    const { metrics, orders, amounts } = setup();
    orders.inc({ app: 'shop', country: 'fr' }, 2);
    amounts.observe({ app: 'shop' }, 50);
    const snapshot = await new MetricsReader(metrics.registry).read(5000);
    expect(snapshot.timeMs).toBe(5000);
    // The registry has prom-client's process metrics (collectDefaultMetrics); the snapshot has not.
    expect(metrics.registry.getMetricsAsArray().some((m) => m.name.startsWith('process_'))).toBe(true);
    expect(snapshot.metrics).toEqual([
      {
        type: 'counter',
        name: 'shop_orders_total',
        help: 'o',
        labelNames: ['app', 'country'],
        series: [{ labels: { app: 'shop', country: 'fr' }, value: 2 }],
      },
      {
        type: 'gauge',
        name: 'shop_waiting',
        help: 'w',
        labelNames: ['app'],
        series: [{ labels: { app: 'shop' }, value: 3 }],
      },
      {
        type: 'histogram',
        name: 'shop_amount_euros',
        help: 'a',
        labelNames: ['app'],
        series: [
          {
            labels: { app: 'shop' },
            buckets: [
              { le: 10, count: 0 },
              { le: 100, count: 1 },
              { le: Number.POSITIVE_INFINITY, count: 1 },
            ],
            sum: 50,
            count: 1,
          },
        ],
      },
    ]);
  });

  it('takes the snapshot at the call: later updates show in the next one only', async () => {
    const { metrics, orders, amounts, setWaiting } = setup();
    const reader = new MetricsReader(metrics.registry);
    orders.inc({ app: 'shop', country: 'fr' });
    const first = reader.read(1000);
    // Made after read() returned, before the snapshot resolved (a next batch in the same tick).
    amounts.observe({ app: 'shop' }, 5);
    setWaiting(9);
    orders.inc({ app: 'shop', country: 'fr' }, 5);
    const snapshot = await first;
    orders.inc({ app: 'shop', country: 'fr' }, 10);
    const byName = new Map(snapshot.metrics.map((m) => [m.name, m]));
    expect(byName.get('shop_amount_euros')?.series).toEqual([]);
    expect(byName.get('shop_waiting')?.series).toEqual([{ labels: { app: 'shop' }, value: 3 }]);
    expect(byName.get('shop_orders_total')?.series).toEqual([
      { labels: { app: 'shop', country: 'fr' }, value: 1 },
    ]);
    const next = new Map((await reader.read(2000)).metrics.map((m) => [m.name, m]));
    expect((next.get('shop_amount_euros') as HistogramSnapshot).series[0]?.count).toBe(1);
    expect(next.get('shop_waiting')?.series).toEqual([{ labels: { app: 'shop' }, value: 9 }]);
    expect(next.get('shop_orders_total')?.series).toEqual([
      { labels: { app: 'shop', country: 'fr' }, value: 16 },
    ]);
  });

  it('reads through get() a metric without a prom-client series map, and waits for an async collect()', async () => {
    const { metrics } = setup();
    const data = { name: 'custom_total', help: 'c', type: 'counter', aggregator: 'sum' };
    metrics.registry.registerMetric({
      ...data,
      labelNames: ['app'],
      reset() {},
      get: async () => ({ ...data, values: [{ labels: { app: 'shop' }, value: 4 }] }),
    } as never);
    new Gauge({
      name: 'shop_async',
      help: 'a',
      labelNames: ['app'],
      registers: [metrics.registry],
      async collect() {
        await new Promise((r) => setTimeout(r, 5));
        this.set({ app: 'shop' }, 8);
      },
    });
    // Registered after the two that are read asynchronously: it must still come after them.
    new Counter({
      name: 'shop_after_total',
      help: 'x',
      labelNames: ['app'],
      registers: [metrics.registry],
    }).inc({ app: 'shop' }, 2);
    const snapshot = await new MetricsReader(metrics.registry).read(0);
    expect(snapshot.metrics.slice(-3).map((m) => m.name)).toEqual([
      'custom_total',
      'shop_async',
      'shop_after_total',
    ]);
    const byName = new Map(snapshot.metrics.map((m) => [m.name, m]));
    expect(byName.get('shop_after_total')?.series).toEqual([{ labels: { app: 'shop' }, value: 2 }]);
    expect(byName.get('custom_total')).toMatchObject({
      type: 'counter',
      series: [{ labels: { app: 'shop' }, value: 4 }],
    });
    expect(byName.get('shop_async')?.series).toEqual([{ labels: { app: 'shop' }, value: 8 }]);
  });

  it('leaves out a histogram it cannot read as data (a prom-client Histogram); /metrics still has it', async () => {
    const { metrics } = setup();
    new Histogram({ name: 'raw_seconds', help: 'r', registers: [metrics.registry] }).observe(1);
    const snapshot = await new MetricsReader(metrics.registry).read(0);
    expect(snapshot.metrics.map((m) => m.name)).not.toContain('raw_seconds');
    expect((await metrics.render()).body).toContain('raw_seconds_count 1');
  });

  it('rejects, never throws, when a collect() fails', async () => {
    const { metrics } = setup();
    new Gauge({
      name: 'broken',
      help: 'b',
      registers: [metrics.registry],
      collect() {
        throw new Error('collect failed');
      },
    });
    let read: Promise<unknown> | undefined;
    expect(() => {
      read = new MetricsReader(metrics.registry).read(0);
    }).not.toThrow();
    await expect(read).rejects.toThrow('collect failed');
  });
});
