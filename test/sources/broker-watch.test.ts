/**
 * BrokerWatch, on a clock the test moves: a request unanswered for the stall time makes the
 * stream disconnected, naming the broker and the request; a request that fails without an answer
 * too, until that broker answers; an error response is an answer; only brokers in use count; each
 * change is posted once, and the first connection is not a change. brokerTiming's numbers and
 * within()'s bound are checked as docs/kafka.md states them.
 */

import { createRequire } from 'node:module';
import { KafkaJSConnectionError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  BrokerTimeout,
  BrokerWatch,
  brokerTiming,
  type ConnectivityVerdict,
  within,
} from '../../src/sources/kafka/broker-watch.js';

const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode(code: number): Error;
};

function setup(batchIntervalMs = 1000) {
  let now = 1_000_000;
  const posted: ConnectivityVerdict[] = [];
  const watch = new BrokerWatch(
    brokerTiming(batchIntervalMs),
    (v) => posted.push(v),
    ['b:1', 'b:2'],
    () => now,
  );
  return {
    watch,
    posted,
    advance: (ms: number) => {
      now += ms;
      watch.check();
    },
    now: () => now,
  };
}

/** A request the test settles by hand. */
function pending<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('brokerTiming', () => {
  it('waits the larger of two intervals and 3 s; stalls after an interval, at least 1 s', () => {
    expect(brokerTiming(1000)).toEqual({ requestMs: 3000, stallMs: 1000, unresponsiveMs: 500 });
    expect(brokerTiming(100)).toEqual({ requestMs: 3000, stallMs: 1000, unresponsiveMs: 50 });
    expect(brokerTiming(5000)).toEqual({ requestMs: 10_000, stallMs: 5000, unresponsiveMs: 2500 });
  });
});

describe('within', () => {
  it('passes an answer through, and gives up with a BrokerTimeout naming the request', async () => {
    await expect(within(Promise.resolve(7), 1000, 'x')).resolves.toBe(7);
    const never = new Promise<never>(() => {});
    const error = await within(never, 20, 'ListOffsets to b:2').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerTimeout);
    expect((error as Error).message).toBe('ListOffsets to b:2: no answer within 20 ms');
  });
});

describe('BrokerWatch', () => {
  it('starting: connecting is not posted, and neither is the first connection', () => {
    const { watch, posted } = setup();
    expect(watch.verdict()).toEqual({ connected: false, reason: 'connecting to Kafka at b:1,b:2' });
    watch.check();
    expect(posted).toEqual([]);
    watch.membershipUp();
    expect(watch.verdict().connected).toBe(true);
    expect(posted).toEqual([]);
    expect(watch.lastResponseMs).toBeUndefined();
  });

  it('a first connection slower than the stall time is posted, naming the brokers, once', () => {
    const { watch, posted, advance } = setup();
    watch.start();
    watch.stop();
    advance(999);
    expect(posted).toEqual([]);
    advance(1);
    expect(posted).toEqual([
      { connected: false, reason: 'connecting to Kafka at b:1,b:2: no connection after 1.0 s' },
    ]);
    advance(5000);
    expect(posted).toHaveLength(1);
    watch.membershipUp();
    expect(posted.at(-1)).toEqual({
      connected: true,
      reason: 'answering again after: connecting to Kafka at b:1,b:2: no connection after 1.0 s',
    });
  });

  it('a request unanswered for the stall time: disconnected, naming broker and request, once; its answer reconnects', async () => {
    const { watch, posted, advance, now } = setup();
    watch.membershipUp();
    const request = pending<string>();
    watch.track('ListOffsets', 'b:2', request.promise);
    advance(999);
    expect(watch.verdict().connected).toBe(true);
    expect(watch.unresponsive('b:2')).toBe(false);
    advance(1);
    expect(posted).toEqual([{ connected: false, reason: 'no answer from b:2 to ListOffsets for 1.0 s' }]);
    expect(watch.unresponsive('b:2')).toBe(true);
    expect(watch.waiting('b:2')).toBe(true);
    advance(1400);
    // The reason keeps counting; the change was posted once.
    expect(watch.verdict().reason).toBe('no answer from b:2 to ListOffsets for 2.4 s');
    expect(posted).toHaveLength(1);
    request.resolve('offsets');
    await settle();
    expect(watch.verdict().connected).toBe(true);
    expect(watch.lastResponseMs).toBe(now());
    expect(posted[1]).toEqual({
      connected: true,
      reason: 'answering again after: no answer from b:2 to ListOffsets for 1.0 s',
    });
  });

  it('a request that fails without an answer disconnects until that broker answers', async () => {
    const { watch, posted } = setup();
    watch.membershipUp();
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED b:2', {
      code: 'ECONNREFUSED',
    });
    await watch.track('OffsetCommit', 'b:2', Promise.reject(refused)).catch(() => {});
    await settle();
    expect(watch.verdict()).toEqual({
      connected: false,
      reason:
        'b:2 did not answer OffsetCommit: KafkaJSConnectionError: Connection error: connect ECONNREFUSED b:2',
    });
    // Another broker answering does not vouch for b:2.
    watch.answered('b:1');
    expect(watch.verdict().connected).toBe(false);
    watch.answered('b:2');
    expect(watch.verdict().connected).toBe(true);
    expect(posted.map((p) => p.connected)).toEqual([false, true]);
  });

  it('an error response ("not the leader") is an answer', async () => {
    const { watch, posted, now } = setup();
    watch.membershipUp();
    await watch.track('ListOffsets', 'b:2', Promise.reject(createErrorFromCode(6))).catch(() => {});
    await settle();
    expect(watch.verdict().connected).toBe(true);
    expect(watch.lastResponseMs).toBe(now());
    expect(posted).toEqual([]);
  });

  it('trouble with a broker the stream no longer uses does not count', async () => {
    const { watch, advance } = setup();
    watch.membershipUp();
    watch.track('ListOffsets', 'b:3', pending().promise);
    advance(5000);
    expect(watch.verdict().connected).toBe(false);
    watch.use(['b:1', 'b:2']);
    expect(watch.verdict().connected).toBe(true);
    watch.use(['b:3']);
    expect(watch.verdict().reason).toBe('no answer from b:3 to ListOffsets for 5.0 s');
  });

  it('the group membership lost, then back', () => {
    const { watch, posted } = setup();
    watch.membershipUp();
    watch.membershipDown('Kafka consumer crashed: boom; reconnecting');
    watch.membershipUp();
    expect(posted).toEqual([
      { connected: false, reason: 'Kafka consumer crashed: boom; reconnecting' },
      { connected: true, reason: 'answering again after: Kafka consumer crashed: boom; reconnecting' },
    ]);
  });

  it('a first connection that fails is posted (a crash kafkajs restarts while connecting is not)', () => {
    const { watch, posted } = setup();
    watch.membershipDown('coordinator loading; kafkajs restarts it', { connecting: true });
    expect(posted).toEqual([]);
    watch.membershipDown('cannot reach Kafka at b:1,b:2: refused; retrying in 500 ms');
    expect(posted).toEqual([
      { connected: false, reason: 'cannot reach Kafka at b:1,b:2: refused; retrying in 500 ms' },
    ]);
  });
});
