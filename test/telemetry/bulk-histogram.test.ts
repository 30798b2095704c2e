/**
 * BulkHistogram renders exactly as a prom-client Histogram fed the same observations (Prometheus
 * text and OpenMetrics), keeps prom-client's observe() rules, and hands out its series as data.
 */
import { Histogram, Registry, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BulkHistogram } from '../../src/telemetry/bulk-histogram.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { DEFAULT_HISTOGRAM_BUCKETS, UserMetrics } from '../../src/telemetry/user-metrics.js';

type ContentType = RegistryContentType;

function pair(contentType: ContentType, labelNames: string[], buckets?: number[]) {
  const promRegistry = new Registry<ContentType>();
  const bulkRegistry = new Registry<ContentType>();
  promRegistry.setContentType(contentType);
  bulkRegistry.setContentType(contentType);
  const prom = new Histogram({
    name: 'shop_amount_euros',
    help: 'Order amounts.',
    labelNames,
    registers: [promRegistry],
    ...(buckets ? { buckets } : {}),
  });
  const bulk = new BulkHistogram({
    name: 'shop_amount_euros',
    help: 'Order amounts.',
    labelNames,
    buckets: buckets ?? DEFAULT_HISTOGRAM_BUCKETS,
    registers: [bulkRegistry],
  });
  return { prom, bulk, promRegistry, bulkRegistry };
}

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('BulkHistogram.observe', () => {
  for (const contentType of [Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE]) {
    it(`renders as prom-client's Histogram (${contentType.split(';')[0]})`, async () => {
      const { prom, bulk, promRegistry, bulkRegistry } = pair(contentType, ['app', 'country'], [1, 10, 100]);
      const observations: [Record<string, string | number>, number][] = [
        [{ app: 'shop', country: 'fr' }, 5],
        [{ app: 'shop', country: 'de' }, 0.5],
        [{ app: 'shop', country: 'fr' }, 10], // on a bound: in that bucket
        [{ app: 'shop', country: 'fr' }, 1000], // above every bound: +Inf only
        [{ app: 'shop' }, 3], // partial labels: a series of its own
        [{ country: 7, app: 'shop' }, -2], // a number label value, labels in another order
        [{ app: 'shop', country: '7' }, 50], // "7" and 7 are one series
      ];
      for (const [labels, value] of observations) {
        prom.observe(labels, value);
        bulk.observe(labels, value);
      }
      const text = await bulkRegistry.metrics();
      expect(text).toBe(await promRegistry.metrics());
      expect(text).toContain('shop_amount_euros_bucket{le="10",app="shop",country="fr"} 2');
      expect(text).toContain('shop_amount_euros_count{country="7",app="shop"} 2');
    });
  }

  it('starts a label-less histogram with its one series at zero, as prom-client does', async () => {
    const { promRegistry, bulkRegistry, bulk } = pair(Registry.PROMETHEUS_CONTENT_TYPE, []);
    expect(await bulkRegistry.metrics()).toBe(await promRegistry.metrics());
    expect(bulk.histogramSeries()).toHaveLength(1);
    expect(await bulkRegistry.metrics()).toContain('shop_amount_euros_count 0');
  });

  it('throws what prom-client throws for an undeclared label and a value that is not a number', () => {
    const { prom, bulk } = pair(Registry.PROMETHEUS_CONTENT_TYPE, ['app']);
    for (const [labels, value] of [
      [{ app: 'a', region: 'eu' }, 1],
      [{ app: 'a' }, Number.NaN],
      [{ app: 'a' }, Number.POSITIVE_INFINITY],
      [{ app: 'a' }, undefined as unknown as number],
    ] as const) {
      const expected = thrown(() => prom.observe(labels as never, value)) as Error;
      const actual = thrown(() => bulk.observe(labels as never, value)) as Error;
      expect(actual.constructor).toBe(expected.constructor);
      expect(actual.message).toBe(expected.message);
    }
    expect(bulk.histogramSeries()).toEqual([]);
    expect(
      () => new BulkHistogram({ name: 'x', help: 'h', labelNames: ['le'], buckets: [1], registers: [] }),
    ).toThrow('le is a reserved label keyword');
  });

  it('the default buckets of a job histogram are prom-client defaults', async () => {
    const registry = new MetricsRegistry('shop');
    new UserMetrics('shop', registry).histogram('shop_wait_seconds', 'Waits.').observe({}, 0.2);
    const prom = new Registry();
    new Histogram({
      name: 'shop_wait_seconds',
      help: 'Waits.',
      labelNames: ['app'],
      registers: [prom],
    }).observe({ app: 'shop' }, 0.2);
    expect(await registry.registry.getSingleMetricAsString('shop_wait_seconds')).toBe(
      await prom.getSingleMetricAsString('shop_wait_seconds'),
    );
  });
});

describe('BulkHistogram.add and histogramSeries', () => {
  it('a batch of bucket counts equals observing its values one by one', async () => {
    const { prom, bulk, promRegistry, bulkRegistry } = pair(
      Registry.PROMETHEUS_CONTENT_TYPE,
      ['app'],
      [1, 10],
    );
    // 0.5 and 1 in (.., 1], 4 in (1, 10], 20 and 30 above 10.
    for (const v of [0.5, 1, 4, 20, 30]) prom.observe({ app: 'a' }, v);
    bulk.add({ app: 'a' }, [2, 1, 2], 55.5);
    expect(await bulkRegistry.metrics()).toBe(await promRegistry.metrics());
    expect(() => bulk.add({ app: 'a' }, [1, 2], 3)).toThrow(RangeError);
  });

  it('hands out cumulative buckets, +Inf last, as copies', () => {
    const { bulk } = pair(Registry.PROMETHEUS_CONTENT_TYPE, ['app'], [1, 10]);
    bulk.observe({ app: 'a' }, 0.5);
    bulk.observe({ app: 'a' }, 5);
    bulk.observe({ app: 'a' }, 50);
    const [series] = bulk.histogramSeries();
    expect(series).toEqual({
      labels: { app: 'a' },
      buckets: [
        { le: 1, count: 1 },
        { le: 10, count: 2 },
        { le: Number.POSITIVE_INFINITY, count: 3 },
      ],
      sum: 55.5,
      count: 3,
    });
    bulk.observe({ app: 'a' }, 0.1);
    expect(series?.count).toBe(3);
    expect(series?.buckets[0]?.count).toBe(1);
    expect(bulk.histogramSeries()[0]?.count).toBe(4);
  });

  it('remove() drops one series and the registry reset drops all', () => {
    const registry = new Registry();
    const bulk = new BulkHistogram({
      name: 'x_seconds',
      help: 'h',
      labelNames: ['app', 'stream'],
      buckets: [1],
      registers: [registry],
    });
    bulk.observe({ app: 'a', stream: 's1' }, 1);
    bulk.observe({ app: 'a', stream: 's2' }, 1);
    bulk.remove({ app: 'a', stream: 's1' });
    expect(bulk.histogramSeries().map((s) => s.labels.stream)).toEqual(['s2']);
    registry.resetMetrics();
    expect(bulk.histogramSeries()).toEqual([]);
  });
});
