/**
 * Series budget: per-partition Kafka metrics grow with the partitions an agent owns and nothing
 * else (no offsets, batch times or keys as labels), and a revoked partition's series go away.
 * Budget, as docs/telemetry.md states it: 9 series per owned partition (lag records, lag
 * seconds, committed offset, high watermark, and the five partition status series), 11 when the
 * input reports the committed lag (its records and seconds), plus a fixed set independent of
 * partitions (the rebalance counter and the assigned-partitions gauge among them).
 */
import { describe, expect, it } from 'vitest';
import type { SourceEvent } from '../../src/index.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { PrometheusListener } from '../../src/telemetry/prometheus-listener.js';

const source = { appName: 'wide', batchIntervalMs: 1000, batchesWaiting: 0 };

async function seriesCount(metrics: MetricsRegistry, prefix: string): Promise<number> {
  let n = 0;
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    if (m.name.startsWith(prefix)) n += m.values.length;
  }
  return n;
}

describe('series budget', () => {
  it('3 topics x 100 partitions: 9 series per partition, and revoked partitions disappear', async () => {
    const metrics = new MetricsRegistry('wide');
    const listener = new PrometheusListener(metrics.registry, source, '0.0.0');
    const fixedBefore =
      (await seriesCount(metrics, 'sidestream_')) - (await seriesCount(metrics, 'sidestream_kafka_'));
    const partitions = ['a', 'b', 'c'].flatMap((topic) =>
      Array.from({ length: 100 }, (_, partition) => ({ topic, partition })),
    );
    for (let batch = 0; batch < 5; batch++) {
      for (const { topic, partition } of partitions) {
        const event: SourceEvent = {
          type: 'partition-lag',
          streamId: 0,
          stream: 'kafka:a,b,c',
          batchTime: 1000 * (batch + 1),
          topic,
          partition,
          records: 10 * batch,
          seconds: batch,
          highWatermark: 1000 * batch + partition,
          committedOffset: 900 * batch,
        };
        listener.onSourceEvent(event);
      }
    }
    // Five batches of lag for 300 partitions: still 9 series each, plus the rebalance counter and
    // the assigned-partitions gauge.
    expect(await seriesCount(metrics, 'sidestream_kafka_')).toBe(300 * 9 + 2);
    listener.onSourceEvent({
      type: 'rebalance',
      streamId: 0,
      stream: 'kafka:a,b,c',
      assigned: [],
      revoked: partitions.filter((p) => p.topic !== 'a'),
    });
    expect(await seriesCount(metrics, 'sidestream_kafka_')).toBe(100 * 9 + 2);
    // Nothing else grew with the partitions.
    const fixedAfter =
      (await seriesCount(metrics, 'sidestream_')) - (await seriesCount(metrics, 'sidestream_kafka_'));
    expect(fixedAfter).toBe(fixedBefore);
  });

  it('with the committed lag reported: 11 series per partition, and revoked partitions disappear', async () => {
    const metrics = new MetricsRegistry('wide');
    const listener = new PrometheusListener(metrics.registry, source, '0.0.0');
    const partitions = Array.from({ length: 100 }, (_, partition) => partition);
    for (let batch = 1; batch <= 3; batch++) {
      for (const partition of partitions) {
        listener.onSourceEvent({
          type: 'partition-lag',
          streamId: 0,
          stream: 'kafka:a',
          batchTime: 1000 * batch,
          topic: 'a',
          partition,
          records: 5,
          seconds: 1,
          highWatermark: 1000 * batch,
          committedOffset: 1000 * batch - 20,
          committedLagRecords: 20,
          committedLagSeconds: 3,
        });
      }
    }
    expect(await seriesCount(metrics, 'sidestream_kafka_')).toBe(100 * 11 + 2);
    listener.onSourceEvent({
      type: 'rebalance',
      streamId: 0,
      stream: 'kafka:a',
      assigned: [],
      revoked: partitions.slice(0, 60).map((partition) => ({ topic: 'a', partition })),
    });
    expect(await seriesCount(metrics, 'sidestream_kafka_')).toBe(40 * 11 + 2);
  });
});
