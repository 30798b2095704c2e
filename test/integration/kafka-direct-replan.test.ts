/**
 * A batch failed with a re-plan remedy (a sink offset conflict) and the offsets to re-plan from
 * cannot be read for a while (the offset store's broker refuses connections): the stream plans
 * nothing meanwhile, says so, and re-plans once they can be read. It used to fail the batch's
 * generation with the connection error and stop the agent (seen in the fleet soak).
 */
import { describe, expect, it } from 'vitest';
import type { InputError, SourceEvent } from '../../src/index.js';
import { SidestreamError } from '../../src/index.js';
import { directStreamHarness } from '../support/direct-stream-harness.js';
import { waitFor } from '../support/manual-run.js';
import { createTopic, requireKafka, uniqueTopic } from '../support/services.js';

const hasKafka = await requireKafka();
const { context, produce, earliest } = directStreamHarness({
  appName: 'kafka-direct-replan',
  defaultParallelism: 1,
  sendSize: 100,
});

/** What kafkajs throws when no broker accepts the connection (recognised by its name). */
function refused(): Error {
  const error = new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1');
  error.name = 'KafkaJSConnectionError';
  return error;
}

describe.runIf(hasKafka)('re-planning while the offsets cannot be read', () => {
  it('plans nothing until they can be, then writes the failed range once', { timeout: 60_000 }, async () => {
    const topic = await createTopic(uniqueTopic('direct-replan'), 1);
    await produce(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ value: String(i) })),
    );
    let refusals = 0;
    let failedOnce = false;
    const ssc = context(300);
    const events: SourceEvent[] = [];
    ssc.addStreamingListener({ onSourceEvent: (e) => events.push(e) });
    const written: string[] = [];
    ssc
      .kafkaDirectStream({
        ...earliest(topic),
        offsetStore: {
          // Answers at the first assignment; refuses three times once the batch has failed.
          fetchOffsets: async () => {
            if (failedOnce && refusals < 3) {
              refusals++;
              throw refused();
            }
            return new Map();
          },
        },
      })
      .foreachRDD(async (rdd) => {
        const values = (await rdd.collect()).map((r) => String(r.value));
        if (values.length > 0 && !failedOnce) {
          failedOnce = true;
          throw new SidestreamError('SS_SINK_OFFSET_CONFLICT', 'simulated: another writer moved the offsets');
        }
        written.push(...values);
      });
    await ssc.start();
    await waitFor(() => written.length >= 10, 30_000, 'the failed range to be re-planned and written');
    expect(written).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    expect(refusals).toBe(3);
    const planNothing = events.filter(
      (e): e is InputError =>
        e.type === 'input-error' && /offsets to re-plan from could not be read/.test(e.message),
    );
    expect(planNothing.length).toBe(3);
    expect(ssc.state).toBe('active');
  });
});
