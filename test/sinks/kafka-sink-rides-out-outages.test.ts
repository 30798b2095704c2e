/**
 * The Kafka sink waits out a broker outage inside one commit (while-kafka-recovers.ts). A fault
 * drill killed a partition's leader; the restarting broker closed every connection at once, so a
 * task's four attempts all failed within 200 ms, the batch failed and the agent stopped. A commit
 * now tries again after a pause while the failure is transient, and still throws at once what
 * waiting cannot mend.
 */
import { describe, expect, it } from 'vitest';
import { KafkaDouble, outputFor, range, SinkOnDouble } from '../support/kafka-sink-double.js';

const values = (from: number, until: number) => outputFor(from, until)[0]?.messages.map((m) => m.value);

describe('KafkaTransactionalSink through a broker outage', () => {
  it('waits while its producer cannot connect, then commits the range once', async () => {
    const double = new KafkaDouble();
    const sink = new SinkOnDouble(double);
    double.failNextConnects(3);
    const started = Date.now();
    expect(await sink.commitPartition(range(0, 3), outputFor(0, 3))).toBe('applied');
    // Three refusals, then the connection that worked; paused 100, 200 and 400 ms between them.
    expect(double.connects).toBe(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    expect(double.committed).toBe(3);
    expect(double.written).toEqual(values(0, 3));
  });

  it('after a send lost mid-transaction, writes the range once with a new producer', async () => {
    const double = new KafkaDouble();
    const sink = new SinkOnDouble(double);
    expect(await sink.commitPartition(range(0, 2), outputFor(0, 2))).toBe('applied');
    double.failNextSend(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    expect(await sink.commitPartition(range(2, 5), outputFor(2, 5))).toBe('applied');
    // The failed attempt's producer was dropped: the retry initialised a second one.
    expect(double.connects).toBe(2);
    expect(double.committed).toBe(5);
    expect(double.written).toEqual(values(0, 5));
  });

  it('throws at once what waiting cannot mend', async () => {
    const double = new KafkaDouble();
    const sink = new SinkOnDouble(double);
    const denied = Object.assign(new Error('not authorized'), {
      name: 'KafkaJSProtocolError',
      type: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
      code: 53,
      retriable: false,
    });
    double.failNextSend(denied);
    await expect(sink.commitPartition(range(0, 2), outputFor(0, 2))).rejects.toBe(denied);
    expect(double.connects).toBe(1);
    expect(double.written).toEqual([]);
  });
});
