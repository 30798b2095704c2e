/**
 * A graceful stop while a direct stream's plan waits on something that does not answer (here an
 * offset store that never answers: a sink fencing a partition's previous owner behind a dead
 * broker does the same) finishes within the plan's grace, with an empty batch, instead of waiting
 * out the shutdown timeout: rolling restarts met that after broker faults.
 */
import { describe, expect, it } from 'vitest';
import type { InputError, SourceEvent } from '../../src/index.js';
import { directStreamHarness } from '../support/direct-stream-harness.js';
import { waitFor } from '../support/manual-run.js';
import { createTopic, requireKafka, uniqueTopic } from '../support/services.js';

const hasKafka = await requireKafka();
const { context, produce, earliest } = directStreamHarness({
  appName: 'kafka-direct-stop',
  defaultParallelism: 1,
  sendSize: 100,
});

describe.runIf(hasKafka)('a graceful stop of a direct stream whose plan hangs', () => {
  it('gives the plan up after a grace and drains in time', { timeout: 60_000 }, async () => {
    const topic = await createTopic(uniqueTopic('direct-stop'), 1);
    await produce(
      topic,
      Array.from({ length: 5 }, (_, i) => ({ value: String(i) })),
    );
    let asked = 0;
    const ssc = context(300);
    const events: SourceEvent[] = [];
    ssc.addStreamingListener({ onSourceEvent: (e) => events.push(e) });
    let records = 0;
    ssc
      .kafkaDirectStream({
        ...earliest(topic),
        offsetStore: {
          fetchOffsets: () => {
            asked++;
            return new Promise<Map<number, number>>(() => {});
          },
        },
      })
      .foreachRDD(async (rdd) => {
        records += await rdd.count();
      });
    await ssc.start();
    await waitFor(() => asked > 0, 20_000, 'the stream to ask its offset store');
    // The first batch's plan now waits on the store for good.
    await new Promise((r) => setTimeout(r, 1000));
    const began = Date.now();
    const drained = await ssc.stop({ graceful: true, timeoutMs: 10_000 });
    const tookMs = Date.now() - began;
    expect({ drained, records }).toEqual({ drained: true, records: 0 });
    expect(tookMs).toBeLessThan(8000);
    const gaveUp = events.filter(
      (e): e is InputError =>
        e.type === 'input-error' && /generated empty: the agent is stopping/.test(e.message),
    );
    expect(gaveUp.length).toBeGreaterThan(0);
  });
});
