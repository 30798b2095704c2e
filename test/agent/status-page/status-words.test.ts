/**
 * What the status page says about readiness and connections (client/status-words.ts): Not ready
 * with its reasons instead of an eternal Starting, a disconnected input's reason as text, and a
 * Kafka lag chart that never claims the job has no Kafka direct stream when it has one.
 */
import { describe, expect, it } from 'vitest';
import type { AgentStatusSnapshot, InputStatus } from '../../../src/agent/agent-status.js';
import {
  connectionWords,
  kafkaChartEmptyText,
  notReadyText,
  receiverWords,
  stateBadge,
} from '../../../src/agent/status-page/client/status-words.js';

const NOW = 1_000_000;

function input(overrides: Partial<InputStatus> = {}): InputStatus {
  return {
    streamId: 0,
    name: 'kafka:events',
    kind: 'kafka-direct',
    connected: true,
    disconnectedReason: null,
    lastResponseTime: null,
    receiver: null,
    errors: 0,
    lastError: null,
    lastErrorTime: null,
    ...overrides,
  };
}

function status(overrides: Partial<AgentStatusSnapshot> = {}): AgentStatusSnapshot {
  return {
    app: 'clicks',
    version: '1',
    state: 'active',
    now: NOW,
    startTime: NOW - 40_000,
    uptimeSeconds: 40,
    batchIntervalMs: 1000,
    ready: true,
    readiness: { ready: true, reasons: [] },
    batchesWaiting: 0,
    inputs: [input()],
    kafka: null,
    lastCompletedBatch: null,
    checkpoint: { enabled: false },
    config: {},
    ...overrides,
  };
}

const notReady = (...reasons: string[]) => ({ ready: false, readiness: { ready: false, reasons } });

describe('the state badge and the readiness line', () => {
  it('Running when ready; Starting only while the first batch is all that is missing', () => {
    expect(stateBadge(status())).toEqual(['Running', 'ok']);
    expect(notReadyText(status())).toBeNull();
    const starting = status(notReady('no batch has completed yet'));
    expect(stateBadge(starting)).toEqual(['Starting', 'warn']);
    expect(notReadyText(starting)).toBe('Not ready: no batch has completed yet');
  });

  it('Not ready with every reason when an input is down or a batch overdue: never an eternal Starting', () => {
    const s = status(
      notReady(
        'input kafka:events is not connected: connect ECONNREFUSED 127.0.0.1:9092',
        'no batch has completed yet',
      ),
    );
    expect(stateBadge(s)).toEqual(['Not ready', 'bad']);
    expect(notReadyText(s)).toBe(
      'Not ready: input kafka:events is not connected: connect ECONNREFUSED 127.0.0.1:9092; no batch has completed yet',
    );
  });

  it('an agent that sends no reasons (older) is read by its ready flag', () => {
    const { readiness: _r, ...old } = status({ ready: false });
    expect(notReadyText(old as AgentStatusSnapshot)).toBe('Not ready: not ready');
    expect(stateBadge(old as AgentStatusSnapshot)).toEqual(['Not ready', 'bad']);
  });

  it('stopping and stopped say so', () => {
    expect(stateBadge(status({ state: 'stopping' }))).toEqual(['Stopping', 'warn']);
    expect(stateBadge(status({ state: 'stopped' }))).toEqual(['Stopped', 'bad']);
  });
});

describe('an input connection as text', () => {
  it('not connected: the reason as a second line, with when it last answered', () => {
    expect(
      connectionWords(
        input({
          connected: false,
          disconnectedReason: 'no answer from broker b:9092',
          lastResponseTime: NOW - 65_000,
        }),
        NOW,
      ),
    ).toEqual({
      tone: 'bad',
      label: 'not connected',
      detail: 'no answer from broker b:9092 (last answer 1m 5s ago)',
    });
    expect(connectionWords(input({ connected: false, disconnectedReason: 'receiver stopped' }), NOW)).toEqual(
      {
        tone: 'bad',
        label: 'not connected',
        detail: 'receiver stopped',
      },
    );
  });

  it('connected, with the last answer; no connection at all for a queue', () => {
    expect(connectionWords(input({ lastResponseTime: NOW - 2000 }), NOW)).toEqual({
      tone: 'ok',
      label: 'connected',
      detail: 'last answer 2s ago',
    });
    expect(connectionWords(input({ kind: 'other', name: 'queue', connected: null }), NOW)).toEqual({
      tone: 'none',
      label: 'n/a',
      detail: null,
    });
  });

  it("a receiver's last error is text, not a tooltip", () => {
    expect(
      receiverWords(
        {
          state: 'error',
          errors: 3,
          lastError: 'connect ECONNREFUSED 127.0.0.1:9',
          lastErrorTime: NOW - 4000,
        },
        NOW,
      ),
    ).toEqual({
      tone: 'bad',
      label: 'error (3 errors)',
      detail: 'last error 4s ago: connect ECONNREFUSED 127.0.0.1:9',
    });
    expect(receiverWords(null, NOW)).toEqual({ tone: 'none', label: 'none (direct)', detail: null });
  });
});

describe('the empty Kafka lag chart', () => {
  it('says there is no Kafka direct stream only when there is none', () => {
    expect(
      kafkaChartEmptyText(status({ inputs: [input({ kind: 'other', name: 'generator', connected: null })] })),
    ).toBe('No Kafka direct stream in this job');
    expect(kafkaChartEmptyText(null)).toBe('No Kafka direct stream in this job');
  });

  it('names a direct stream that is not connected, with its reason', () => {
    expect(
      kafkaChartEmptyText(
        status({
          inputs: [input({ connected: false, disconnectedReason: 'connect ECONNREFUSED 127.0.0.1:9092' })],
        }),
      ),
    ).toBe('kafka:events not connected: connect ECONNREFUSED 127.0.0.1:9092');
  });

  it('a connected one is waiting for partitions; an older agent (no kind) is known by its name', () => {
    expect(kafkaChartEmptyText(status())).toBe(
      'kafka:events: waiting for partitions (no batch has planned any yet)',
    );
    const { kind: _k, ...old } = input();
    expect(kafkaChartEmptyText(status({ inputs: [old as InputStatus] }))).toBe(
      'kafka:events: waiting for partitions (no batch has planned any yet)',
    );
  });
});
