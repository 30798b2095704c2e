/**
 * kafkaReceiverStream's connection: against a port where no broker listens it is not connected,
 * with the client's error as the reason, announced once; against the real broker it is connected
 * once its consumer runs, and every answered fetch is an answer from the upstream.
 */
import { describe, expect, it } from 'vitest';
import { type InputConnectivity, type SourceEvent, StreamingContext } from '../../src/index.js';
import { waitFor } from '../support/manual-run.js';
import { createTopic, kafkaBrokers, requireKafka, uniqueTopic } from '../support/services.js';
import { stopAfterEach } from '../support/stop-after-each.js';

const hasKafka = await requireKafka();
const stopLater = stopAfterEach();

function context() {
  const ssc = stopLater(new StreamingContext({ appName: 'kconn', batchIntervalMs: 200 }));
  const events: SourceEvent[] = [];
  ssc.addStreamingListener({ onSourceEvent: (e) => events.push(e) });
  const connectivity = () => events.filter((e): e is InputConnectivity => e.type === 'input-connectivity');
  return { ssc, connectivity };
}

describe('kafkaReceiverStream connection', () => {
  it('no broker: not connected, the reason named, one disconnection however many restarts', async () => {
    const { ssc, connectivity } = context();
    const errors: string[] = [];
    ssc.addStreamingListener({ onReceiverError: (e) => errors.push(e.message ?? '') });
    ssc
      .kafkaReceiverStream({
        brokers: ['127.0.0.1:1'],
        topics: ['nowhere'],
        groupId: 'kconn-none',
        kafka: { connectionTimeout: 200, retry: { retries: 0 }, logLevel: 0 },
        restartDelayMs: 50,
        maxRestartDelayMs: 100,
      })
      .foreachRDD(() => {});
    const source = ssc.graph.inputs[0]!.source;
    await ssc.start();
    expect(source.connected).toBe(false);
    expect(source.disconnectedReason).toContain('connecting to 127.0.0.1:1');
    await waitFor(() => errors.length >= 3, 20_000, 'three failed starts');
    expect(source.connected).toBe(false);
    expect(connectivity()).toHaveLength(1);
    expect(connectivity()[0]).toMatchObject({ connected: false, stream: 'kafka-receiver:nowhere' });
    expect(connectivity()[0]!.reason).toMatch(/^the Kafka consumer failed to start/);
    expect(source.lastResponseMs).toBeUndefined();
  }, 30_000);

  it.runIf(hasKafka)(
    'a real broker: connected once the consumer runs, each answered fetch a response',
    async () => {
      const topic = await createTopic(uniqueTopic('kconn'), 1);
      const { ssc, connectivity } = context();
      ssc
        .kafkaReceiverStream({ brokers: kafkaBrokers(), topics: [topic], groupId: `${topic}-group` })
        .foreachRDD(() => {});
      const source = ssc.graph.inputs[0]!.source;
      await ssc.start();
      await waitFor(() => source.connected === true, 30_000, 'the consumer to run');
      const first = source.lastResponseMs ?? 0;
      expect(first).toBeGreaterThan(0);
      // Empty fetches are answered within maxWaitTimeMs (500 ms).
      await waitFor(() => (source.lastResponseMs ?? 0) > first, 5000, 'a later answer');
      expect(connectivity()).toEqual([]);
    },
    60_000,
  );
});
