/**
 * Tracing of a direct Kafka stream against the real broker (scripts/services.sh up): the batch
 * span links to the traceparent headers of the records it read (at most MAX_TRACE_LINKS) and
 * carries the messaging attributes, consumer group included.
 */
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { MAX_TRACE_LINKS, StreamingContext } from '../../src/index.js';
import { inMemoryTracing } from '../support/in-memory-tracing.js';
import { waitFor } from '../support/manual-run.js';
import { createTopic, kafkaBrokers, newKafka, requireKafka, uniqueTopic } from '../support/services.js';

const hasKafka = await requireKafka();

const { exporter } = inMemoryTracing();

const traceId = (i: number) => (i + 1).toString(16).padStart(32, '0');

describe.runIf(hasKafka)('kafkaDirectStream tracing', () => {
  it('links batch spans to the traceparent headers of the records read, bounded per batch', async () => {
    const topic = await createTopic(uniqueTopic('direct-trace'), 2);
    const producer = newKafka('producer').producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 100 }, (_, i) => ({
        key: `k${i % 4}`,
        value: String(i),
        // Every other record carries trace context; 50 traced records, more than the bound.
        ...(i % 2 === 0 ? { headers: { traceparent: `00-${traceId(i)}-${'a'.repeat(16)}-01` } } : {}),
      })),
    });
    await producer.disconnect();

    const groupId = `g-${topic}`;
    const ssc = new StreamingContext({ appName: 'trace-it', batchIntervalMs: 200, defaultParallelism: 2 });
    let seen = 0;
    ssc
      .kafkaDirectStream({ brokers: kafkaBrokers(), topics: [topic], groupId, startingOffsets: 'earliest' })
      .foreachRDD(async (rdd) => {
        seen += await rdd.count();
      });
    await ssc.start();
    try {
      await waitFor(() => seen >= 100, 30_000, 'all records');
      await waitFor(
        () => exporter.getFinishedSpans().some((s) => s.name === 'sidestream.batch' && s.links.length > 0),
        10_000,
        'a batch span with links',
      );
    } finally {
      await ssc.stop({ timeoutMs: 5000 });
    }
    const batches = exporter
      .getFinishedSpans()
      .filter((s): s is ReadableSpan => s.name === 'sidestream.batch' && s.links.length > 0);
    const produced = new Set(Array.from({ length: 50 }, (_, i) => traceId(i * 2)));
    let links = 0;
    for (const b of batches) {
      expect(b.kind).toBe(SpanKind.CONSUMER);
      expect(b.links.length).toBeLessThanOrEqual(MAX_TRACE_LINKS);
      for (const l of b.links) expect(produced.has(l.context.traceId)).toBe(true);
      links += b.links.length;
      expect(b.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.consumer.group.name': groupId,
      });
      expect(b.attributes['messaging.batch.message_count']).toBeGreaterThan(0);
    }
    expect(links).toBeGreaterThan(0);
    expect(exporter.getFinishedSpans().some((s) => s.name === 'sidestream.task')).toBe(true);
  });
});
