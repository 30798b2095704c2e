/**
 * Receiver.reportRecordError: a record the receiver rejected reaches the bus as the stream's
 * `record-error` input event (with the stream's id and name), not as a receiver error, and the
 * receiver goes on.
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/receiver/rate-limiter.js';
import { Receiver } from '../../src/receiver/receiver.js';
import { ReceiverSupervisor } from '../../src/receiver/receiver-supervisor.js';
import { ManualClock } from '../../src/time.js';
import { RecordingBus } from '../support/recording-bus.js';

class RejectingReceiver extends Receiver<string> {
  onStart(): void {
    this.reportRecordError('LineTooLong', 'line longer than 64 bytes', {
      position: 'line 3 of connection 1 (from byte 40)',
      deadLettered: true,
    });
    this.reportRecordError('Other', 'no details');
  }
  onStop(): void {}
}

describe('Receiver.reportRecordError', () => {
  it("is posted as the stream's record-error input event, not as a receiver error", async () => {
    const clock = new ManualClock(0);
    const bus = new RecordingBus();
    const supervisor = new ReceiverSupervisor(new RejectingReceiver(), {
      streamId: 4,
      name: 'socket:127.0.0.1:9999',
      clock,
      events: bus,
      rateLimiter: new RateLimiter(clock, undefined),
      blockIntervalMs: 200,
      restartDelayMs: 2000,
      storeBlock: async () => {},
    });
    supervisor.start();
    expect(bus.payloads('onSourceEvent')).toEqual([
      {
        type: 'record-error',
        streamId: 4,
        stream: 'socket:127.0.0.1:9999',
        position: 'line 3 of connection 1 (from byte 40)',
        errorType: 'LineTooLong',
        reason: 'line longer than 64 bytes',
        deadLettered: true,
      },
      {
        type: 'record-error',
        streamId: 4,
        stream: 'socket:127.0.0.1:9999',
        errorType: 'Other',
        reason: 'no details',
        deadLettered: false,
      },
    ]);
    expect(bus.payloads('onReceiverError')).toEqual([]);
    expect(supervisor.restarts).toBe(0);
    await supervisor.stop('test over');
  });

  it('throws the usual error when the receiver is not supervised', () => {
    expect(() => new RejectingReceiver().onStart()).toThrow(/receiver is not started/);
  });
});
