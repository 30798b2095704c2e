/**
 * Rendering a snapshot as Graphite lines: names through graphiteName(), histogram statistics
 * estimated from the buckets by the documented rules, what is left out.
 */
import { describe, expect, it } from 'vitest';
import {
  histogramMax,
  histogramQuantile,
} from '../../src/telemetry/exporters/graphite/histogram-statistics.js';
import { renderGraphiteLines } from '../../src/telemetry/exporters/graphite/render-graphite-lines.js';
import { graphiteName } from '../../src/telemetry/graphite-naming.js';
import type { HistogramSeries, MetricsSnapshot } from '../../src/telemetry/metrics-snapshot.js';

describe('histogram statistics', () => {
  const h: HistogramSeries = {
    labels: { app: 'a' },
    buckets: [
      { le: 0.1, count: 0 },
      { le: 1, count: 10 },
      { le: 10, count: 20 },
      { le: Number.POSITIVE_INFINITY, count: 20 },
    ],
    sum: 60,
    count: 20,
  };

  it('interpolates p50/p99 inside the bucket holding the rank, max = highest non-empty bucket bound', () => {
    expect(histogramQuantile(0.5, h)).toBeCloseTo(1); // rank 10: the top of bucket (0.1, 1]
    expect(histogramQuantile(0.25, h)).toBeCloseTo(0.55);
    expect(histogramQuantile(0.99, h)).toBeCloseTo(1 + (9 * (19.8 - 10)) / 10);
    expect(histogramMax(h)).toBe(10);
  });

  it('answers the highest finite bound for observations in +Inf', () => {
    const inf = {
      labels: {},
      sum: 500,
      count: 2,
      buckets: [
        { le: 1, count: 1 },
        { le: Infinity, count: 2 },
      ],
    };
    expect(histogramMax(inf)).toBe(1);
    expect(histogramQuantile(0.99, inf)).toBe(1);
  });

  it('has no quantile for an empty histogram', () => {
    expect(
      histogramQuantile(0.5, { ...h, sum: 0, count: 0, buckets: h.buckets.map((b) => ({ ...b, count: 0 })) }),
    ).toBeNaN();
  });
});

describe('renderGraphiteLines', () => {
  const snapshot: MetricsSnapshot = {
    timeMs: 1_763_800_000_999,
    metrics: [
      {
        type: 'counter',
        name: 'sidestream_record_errors_total',
        help: 'h',
        labelNames: ['app', 'stream', 'error_type'],
        // Label order in the series does not matter: the catalogue's order does.
        series: [{ labels: { error_type: 'SyntaxError', app: 'clicks', stream: 'kafka:events' }, value: 4 }],
      },
      {
        type: 'gauge',
        name: 'shop_basket_items',
        help: 'h',
        labelNames: ['app', 'shop', 'country'],
        series: [
          { labels: { app: 'clicks', country: 'fr', shop: 'main' }, value: 2.5 },
          { labels: { app: 'clicks', country: 'de', shop: 'main' }, value: Number.NaN },
        ],
      },
      {
        type: 'histogram',
        name: 'sidestream_batch_total_delay_seconds',
        help: 'h',
        labelNames: ['app'],
        series: [
          {
            labels: { app: 'clicks' },
            buckets: [
              { le: 0.01, count: 0 },
              { le: 0.025, count: 1 },
              { le: Number.POSITIVE_INFINITY, count: 1 },
            ],
            sum: 0.02,
            count: 1,
          },
        ],
      },
      {
        type: 'histogram',
        name: 'shop_wait_seconds',
        help: 'h',
        labelNames: ['app'],
        series: [
          {
            labels: { app: 'clicks' },
            buckets: [{ le: Number.POSITIVE_INFINITY, count: 0 }],
            sum: 0,
            count: 0,
          },
        ],
      },
      {
        type: 'gauge',
        name: 'sidestream_not_in_catalogue',
        help: 'h',
        labelNames: ['app'],
        series: [{ labels: { app: 'clicks' }, value: 1 }],
      },
      {
        type: 'gauge',
        name: 'nodejs_heap_size_total_bytes',
        help: 'h',
        labelNames: [],
        series: [{ labels: {}, value: 1 }],
      },
    ],
  };

  it('renders counters, gauges and histogram statistics stamped with the time in whole seconds', () => {
    const lines = renderGraphiteLines(snapshot, { app: 'clicks' });
    const estimated = (name: string) => {
      const line = lines.find((l) => l.startsWith(`${name} `));
      expect(line?.endsWith(' 1763800000'), name).toBe(true);
      return Number(line?.split(' ')[1]);
    };
    // Interpolated inside (0.01, 0.025], the bucket holding the one observation.
    expect(estimated('sidestream.clicks.batch_total_delay_seconds.p50')).toBeCloseTo(0.0175, 12);
    expect(estimated('sidestream.clicks.batch_total_delay_seconds.p99')).toBeCloseTo(0.01 + 0.015 * 0.99, 12);
    expect(lines.filter((l) => !/\.p(50|99) /.test(l))).toEqual([
      'sidestream.clicks.record_errors_total.kafka_events.SyntaxError 4 1763800000',
      'sidestream.clicks.shop_basket_items.main.fr 2.5 1763800000',
      'sidestream.clicks.batch_total_delay_seconds.count 1 1763800000',
      'sidestream.clicks.batch_total_delay_seconds.sum 0.02 1763800000',
      'sidestream.clicks.batch_total_delay_seconds.avg 0.02 1763800000',
      'sidestream.clicks.batch_total_delay_seconds.max 0.025 1763800000',
      // An empty histogram: count and sum only.
      'sidestream.clicks.shop_wait_seconds.count 0 1763800000',
      'sidestream.clicks.shop_wait_seconds.sum 0 1763800000',
    ]);
    expect(lines).toHaveLength(10);
  });

  it('uses the naming options (tagged, prefix, instance) through graphiteName()', () => {
    const lines = renderGraphiteLines(snapshot, { app: 'clicks', naming: 'tagged', instance: 'h1' });
    expect(lines[0]).toBe(
      'sidestream_record_errors_total;app=clicks;instance=h1;stream=kafka:events;error_type=SyntaxError 4 1763800000',
    );
    expect(renderGraphiteLines(snapshot, { app: 'clicks', prefix: 'prod.sidestream' })[1]).toBe(
      'prod.sidestream.clicks.shop_basket_items.main.fr 2.5 1763800000',
    );
  });

  it('names each series the same flush after flush, and a changed label value anew', () => {
    // One naming object, as an exporter keeps it: its names are built once and reused.
    const naming = { app: 'clicks' };
    const first = renderGraphiteLines(snapshot, naming);
    expect(renderGraphiteLines(snapshot, naming)).toEqual(first);
    const moved: MetricsSnapshot = {
      ...snapshot,
      metrics: snapshot.metrics.map((m) =>
        m.type === 'counter'
          ? {
              ...m,
              series: m.series.map((s) => ({ ...s, labels: { ...s.labels, error_type: 'TypeError' } })),
            }
          : m,
      ),
    };
    expect(renderGraphiteLines(moved, naming)[0]).toBe(
      'sidestream.clicks.record_errors_total.kafka_events.TypeError 4 1763800000',
    );
    expect(renderGraphiteLines(snapshot, naming)[0]).toBe(first[0]);
    // Another naming never sees this one's names.
    expect(renderGraphiteLines(snapshot, { app: 'clicks', instance: 'h2' })[0]).toBe(
      'sidestream.clicks.h2.record_errors_total.kafka_events.SyntaxError 4 1763800000',
    );
  });

  it('never gives two series one cached name, whatever their label values hold', () => {
    // Pairs a key joined naively from the label values would confuse: a separator inside a
    // value, an absent label against an empty one.
    const labelSets: Record<string, string>[] = [
      { app: 'clicks', shop: 'a\u0000b', country: 'c' },
      { app: 'clicks', shop: 'a', country: 'b\u0000c' },
      { app: 'clicks', shop: '', country: 'fr' },
      { app: 'clicks', country: 'fr' },
      { app: 'clicks', shop: 'main', country: 'fr' },
    ];
    const metric = { name: 'shop_basket_items', labelNames: ['shop', 'country'] };
    const job: MetricsSnapshot = {
      timeMs: 1_763_800_000_000,
      metrics: [
        {
          name: metric.name,
          help: 'items',
          type: 'gauge',
          labelNames: ['app', ...metric.labelNames],
          series: labelSets.map((labels, i) => ({ labels, value: i })),
        },
      ],
    };
    const naming = { app: 'clicks' };
    const expected = labelSets.map((labels, i) => `${graphiteName(metric, labels, naming)} ${i} 1763800000`);
    // Twice: the second render takes every name from the cache.
    expect(renderGraphiteLines(job, naming)).toEqual(expected);
    expect(renderGraphiteLines(job, naming)).toEqual(expected);
  });
});
