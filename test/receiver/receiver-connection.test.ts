/**
 * A receiver stream's connection to its upstream: ReceiverConnection's rules (announce a failure
 * once, a recovery after it, never an attempt under way, a first connection or a stop), then the
 * same through a real supervisor and a StreamingContext: a custom receiver that reports nothing
 * is connected while it runs and disconnected while it restarts, with the reason.
 */
import { describe, expect, it } from 'vitest';
import type { InputConnectivity, SourceEvent } from '../../src/index.js';
import { Receiver, StreamingContext } from '../../src/index.js';
import { ReceiverConnection } from '../../src/receiver/receiver-connection.js';
import { waitFor } from '../support/manual-run.js';
import { stopAfterEach } from '../support/stop-after-each.js';

const stopLater = stopAfterEach();

function recorded() {
  const announced: [boolean, string][] = [];
  const connection = new ReceiverConnection((connected, reason) => announced.push([connected, reason]));
  return { announced, connection };
}

describe('ReceiverConnection', () => {
  it('is not connected before start; a first connection is not announced', () => {
    const { announced, connection } = recorded();
    expect(connection.state).toEqual({ connected: false, reason: 'receiver not started' });
    connection.started(() => connection.disconnected('connecting to h:1', { pending: true }));
    expect(connection.state).toEqual({ connected: false, reason: 'connecting to h:1' });
    connection.connected();
    expect(connection.state).toEqual({ connected: true });
    expect(announced).toEqual([]);
  });

  it('announces a failure once however often the retries fail, and the recovery after it', () => {
    const { announced, connection } = recorded();
    connection.started(() => connection.disconnected('connecting to h:1', { pending: true }));
    for (let i = 0; i < 5; i++) {
      connection.restarting('error on socket h:1: connect ECONNREFUSED');
      expect(connection.state).toEqual({
        connected: false,
        reason: 'receiver restarting after: error on socket h:1: connect ECONNREFUSED',
      });
      connection.started(() => connection.disconnected('connecting to h:1', { pending: true }));
      // While the next attempt runs, the last failure still explains why it is not connected.
      expect(connection.state.reason).toBe(
        'connecting to h:1 (last failure: error on socket h:1: connect ECONNREFUSED)',
      );
    }
    connection.connected();
    expect(announced).toEqual([
      [false, 'error on socket h:1: connect ECONNREFUSED'],
      [true, 'connected'],
    ]);
    // Lost again later: announced again.
    connection.disconnected('no answer from broker b:9092 within 30000 ms');
    expect(announced.at(-1)).toEqual([false, 'no answer from broker b:9092 within 30000 ms']);
    expect(connection.state).toEqual({
      connected: false,
      reason: 'no answer from broker b:9092 within 30000 ms',
    });
  });

  it('a receiver that reports nothing is connected while it runs; a stop is not announced', () => {
    const { announced, connection } = recorded();
    connection.started(() => {});
    expect(connection.state).toEqual({ connected: true });
    connection.stopped();
    expect(connection.state).toEqual({ connected: false, reason: 'receiver stopped' });
    expect(announced).toEqual([]);
  });

  it('keeps the last response time', () => {
    const { connection } = recorded();
    expect(connection.lastResponseMs).toBeUndefined();
    connection.responded(1234);
    expect(connection.lastResponseMs).toBe(1234);
  });
});

/**
 * Fails its first `failures` starts (asks for a restart), then runs quietly. With `reports`, it
 * says it is connecting at each start and connected once an attempt succeeds, as the built-in
 * receivers do; without, it says nothing.
 */
class FlakyReceiver extends Receiver<string> {
  starts = 0;
  constructor(
    private readonly failures: number,
    private readonly reports: boolean,
  ) {
    super();
  }
  onStart(): void {
    this.starts++;
    const fails = this.starts <= this.failures;
    if (this.reports) this.reportDisconnected('connecting to upstream', { pending: true });
    setImmediate(() => {
      if (fails) this.restart('upstream said no');
      else if (this.reports) this.reportConnected();
    });
  }
  onStop(): void {}
}

async function run(receiver: FlakyReceiver) {
  const ssc = stopLater(new StreamingContext({ appName: 'conn', batchIntervalMs: 100 }));
  const events: SourceEvent[] = [];
  ssc.addStreamingListener({ onSourceEvent: (e) => events.push(e) });
  ssc
    .receiverStream(receiver, { name: 'flaky', restartDelayMs: 20, maxRestartDelayMs: 20 })
    .foreachRDD(() => {});
  const source = ssc.graph.inputs[0]!.source;
  expect(source.connected).toBe(false);
  await ssc.start();
  const connectivity = () => events.filter((e): e is InputConnectivity => e.type === 'input-connectivity');
  return { ssc, source, connectivity };
}

const announced = (connected: boolean, reason: string): InputConnectivity => ({
  type: 'input-connectivity',
  streamId: 0,
  stream: 'flaky',
  connected,
  reason,
});

describe('a receiver stream reports its connection', () => {
  it('a receiver that reports its connection: failed attempts announced once, the recovery once', async () => {
    const receiver = new FlakyReceiver(3, true);
    const { ssc, source, connectivity } = await run(receiver);
    await waitFor(() => receiver.starts >= 4 && source.connected === true, 5000, 'the fourth start');
    expect(connectivity()).toEqual([announced(false, 'upstream said no'), announced(true, 'connected')]);
    expect(source.disconnectedReason).toBeUndefined();
    await ssc.stop();
    expect(source.connected).toBe(false);
    expect(source.disconnectedReason).toBe('receiver stopped');
    // Stopping is not a disconnection anyone is warned about.
    expect(connectivity()).toHaveLength(2);
  });

  it('a receiver that reports nothing: disconnected while it restarts, with the reason; connected while it runs', async () => {
    const receiver = new FlakyReceiver(1, false);
    const { source, connectivity } = await run(receiver);
    await waitFor(() => connectivity().length >= 1, 5000, 'the failure');
    await waitFor(() => receiver.starts >= 2 && source.connected === true, 5000, 'the second start');
    expect(connectivity()).toEqual([announced(false, 'upstream said no'), announced(true, 'connected')]);
  });
});
