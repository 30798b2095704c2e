/**
 * fetchRaw against a broker double that answers like kafkajs' Broker (its request lookup and its
 * private send, which runs the response's decode and parse as kafkajs' connection does): the
 * request is kafkajs' own Fetch encoding of the version the broker supports, the response keeps
 * record sets raw, and partition errors surface as kafkajs' errors with the `type` names the
 * range reader acts on. Fetches sent at once to a broker whose Fetch connection is closed open it
 * once, not once each (kafkajs' pool would open a socket for every one).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { KafkajsBroker } from '../../src/sources/kafka/kafkajs-cluster.js';
import { fetchRaw } from '../../src/sources/kafka/kafkajs-raw-fetch.js';
import { int16, int32, int64 } from '../support/kafka-wire-ints.js';

const require = createRequire(import.meta.url);
const { lookup } = require('kafkajs/src/protocol/requests') as {
  lookup: (versions: Record<number, { minVersion: number; maxVersion: number }>) => unknown;
};

/** A v11 response for one partition of `topic`. */
function v11(topic: string, errorCode: number, records: Buffer): Buffer {
  return Buffer.concat([
    int32(0),
    int16(0),
    int32(0),
    int32(1),
    int16(topic.length),
    Buffer.from(topic),
    int32(1),
    int32(0),
    int16(errorCode),
    int64(10),
    int64(10),
    int64(0),
    int32(-1),
    int32(-1),
    int32(records.length),
    records,
  ]);
}

const SEND = Symbol('private:Broker:sendRequest');

interface Sent {
  apiVersion: number;
  encoded: Buffer;
}

/** kafkajs' connection pool as fetchRaw uses it: opens the connection a request goes on, when closed. */
class FakeConnectionPool {
  opened = 0;
  open = false;
  /** Pending opens; each call while closed starts one, as kafkajs' pool does. */
  private waiting: (() => void)[] = [];

  getConnectionByRequest(): Promise<void> {
    if (this.open) return Promise.resolve();
    this.opened++;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  finishOpening(): void {
    this.open = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

class FakeBroker {
  readonly brokerAddress = 'fake:9092';
  readonly sent: Sent[] = [];
  readonly connectionPool = new FakeConnectionPool();
  lookupRequest: (apiKey: number, definition: unknown) => unknown;

  constructor(
    maxFetchVersion: number,
    private readonly payload: Buffer,
  ) {
    this.lookupRequest = lookup({
      1: { minVersion: 0, maxVersion: maxFetchVersion },
    }) as typeof this.lookupRequest;
  }

  async [SEND](protocol: {
    request: { apiVersion: number; encode(): Promise<{ buffer: Buffer }> };
    response: { decode(p: Buffer): Promise<unknown>; parse(d: unknown): Promise<unknown> };
  }): Promise<unknown> {
    this.sent.push({
      apiVersion: protocol.request.apiVersion,
      encoded: (await protocol.request.encode()).buffer,
    });
    return protocol.response.parse(await protocol.response.decode(this.payload));
  }

  listOffsets(): never {
    throw new Error('not used');
  }
}

const request = (topic: string) => ({
  isolationLevel: 1,
  maxWaitTime: 100,
  minBytes: 1,
  maxBytes: 1024,
  topics: [{ topic, partitions: [{ partition: 0, fetchOffset: '7', maxBytes: 1024 }] }],
});

describe('fetchRaw', () => {
  it("sends kafkajs' own Fetch request and keeps the record set raw", async () => {
    const broker = new FakeBroker(11, v11('t', 0, Buffer.from('raw batches')));
    broker.connectionPool.open = true;
    const response = await fetchRaw(broker as unknown as KafkajsBroker, request('t'));
    expect(response.responses[0]?.partitions[0]?.recordSet.toString()).toBe('raw batches');
    expect(broker.sent.map((s) => s.apiVersion)).toEqual([11]);
    // The fetch offset 7 and the isolation level are in kafkajs' encoding of the request.
    const encoded = broker.sent[0]?.encoded ?? Buffer.alloc(0);
    expect(encoded.readInt8(16)).toBe(1);
    expect(encoded.includes(Buffer.concat([int32(0), int32(-1), int64(7)]))).toBe(true);
  });

  it("fails a partition error as kafkajs' error of the same type", async () => {
    const notLeader = new FakeBroker(11, v11('t', 6, Buffer.alloc(0)));
    notLeader.connectionPool.open = true;
    await expect(fetchRaw(notLeader as unknown as KafkajsBroker, request('t'))).rejects.toMatchObject({
      type: 'NOT_LEADER_FOR_PARTITION',
      retriable: true,
    });
    const outOfRange = new FakeBroker(11, v11('t', 1, Buffer.alloc(0)));
    outOfRange.connectionPool.open = true;
    await expect(fetchRaw(outOfRange as unknown as KafkajsBroker, request('t'))).rejects.toMatchObject({
      name: 'KafkaJSOffsetOutOfRange',
      type: 'OFFSET_OUT_OF_RANGE',
      topic: 't',
      partition: 0,
    });
  });

  it('refuses a broker whose Fetch predates isolation levels', async () => {
    const old = new FakeBroker(3, Buffer.alloc(0));
    await expect(fetchRaw(old as unknown as KafkajsBroker, request('t'))).rejects.toThrow(
      /answers Fetch version 3; reading ranges needs 4 or later/,
    );
  });

  it('opens a closed Fetch connection once for fetches sent at once, then sends them all', async () => {
    const broker = new FakeBroker(11, v11('t', 0, Buffer.from('raw')));
    const fetches = Array.from({ length: 5 }, () =>
      fetchRaw(broker as unknown as KafkajsBroker, request('t')),
    );
    await new Promise((resolve) => setImmediate(resolve));
    // Nothing is sent before the connection is open, and it is being opened once.
    expect(broker.connectionPool.opened).toBe(1);
    expect(broker.sent).toHaveLength(0);
    broker.connectionPool.finishOpening();
    const responses = await Promise.all(fetches);
    expect(responses.map((r) => r.responses[0]?.partitions[0]?.recordSet.toString())).toEqual(
      Array(5).fill('raw'),
    );
    expect(broker.sent).toHaveLength(5);
    expect(broker.connectionPool.opened).toBe(1);
  });
});
