import { describe, expect, it } from 'vitest';
import { AgentStatus, type StatusContext, summarizeConfig } from '../../src/agent/agent-status.js';
import type { AgentConfig } from '../../src/agent/config.js';
import type { CompletedBatchRecord, InputRecord, StreamingListener } from '../../src/events/index.js';
import { StreamingContext } from '../../src/index.js';

const config: AgentConfig = {
  app: 'clicks',
  batchIntervalMs: 2000,
  checkpointDir: '/var/lib/sidestream/clicks',
  checkpointIntervalMs: undefined,
  allowJobChange: false,
  supervise: false,
  restartBudget: 5,
  restartWindowMs: 600_000,
  http: { host: '0.0.0.0', port: 9464 },
  batchLogPath: undefined,
  onBatchFailure: 'stop',
  maxTaskFailures: 4,
  shutdownTimeoutMs: 10_000,
  jobLoadTimeoutMs: 60_000,
  defaultParallelism: 4,
  executors: 0,
  graphite: {
    url: 'tcp://carbon.internal:2003',
    target: { protocol: 'tcp', host: 'carbon.internal', port: 2003 },
    prefix: 'prod',
  },
  httpToken: 'super-secret-token-value',
};

function batch(batchTime: number, inputs: InputRecord[], outcome: 'succeeded' | 'failed' = 'succeeded') {
  return {
    app: 'clicks',
    batchTime,
    submissionTime: batchTime,
    generationDelayMs: 0,
    processingStartTime: batchTime + 1,
    processingEndTime: batchTime + 11,
    schedulingDelayMs: 1,
    processingDelayMs: 10,
    totalDelayMs: 11,
    numRecords: inputs.reduce((n, i) => n + i.numRecords, 0),
    outcome,
    inputs,
    outputOperations: [],
    tasks: { total: 1, failed: 0, retried: 0 },
  } satisfies CompletedBatchRecord;
}

function fakeContext(batches: CompletedBatchRecord[]) {
  let listener: StreamingListener = {};
  const ctx: StatusContext = {
    state: 'active',
    ready: true,
    batchesWaiting: 2,
    checkpointDir: '/var/lib/sidestream/clicks',
    graph: {
      inputs: [
        { streamId: 0, source: { name: 'kafka:events', connected: true } },
        { streamId: 1, source: { name: 'queue' } },
      ],
    },
    recentBatches: (limit = 1000) => batches.slice(0, limit),
    addStreamingListener: (l) => {
      listener = l;
      return () => {};
    },
  };
  return { ctx, post: () => listener };
}

const kafkaInput = (records: number): InputRecord => ({
  streamId: 0,
  name: 'kafka:events',
  numRecords: 10,
  offsetRanges: [],
  eventTimeLagMs: null,
  consumerLag: [
    { topic: 'events', partition: 0, records, seconds: 1.5, highWatermark: 100, committedOffset: 90 },
    { topic: 'events', partition: 1, records: 0, highWatermark: 50, committedOffset: 50 },
  ],
});

describe('AgentStatus', () => {
  it('reports the context, the newest Kafka lag, the last batch and checkpoints, secrets redacted', () => {
    let now = 1_000_000;
    const batches = [
      batch(30_000, [{ streamId: 1, name: 'queue', numRecords: 3, offsetRanges: [], eventTimeLagMs: null }]),
      batch(28_000, [kafkaInput(10)], 'failed'),
      batch(26_000, [kafkaInput(99)]),
    ];
    const { ctx, post } = fakeContext(batches);
    const status = new AgentStatus({ config, ssc: ctx, version: '1.2.3', now: () => now });
    now += 65_000;
    post().onCheckpointWritten?.({ batchTime: 28_000, time: now - 500, bytes: 321, durationMs: 4 });
    post().onCheckpointFailed?.({ batchTime: 30_000, message: 'rename failed for s3://key:secret@bucket/x' });

    const s = status.snapshot();
    expect(s).toMatchObject({
      app: 'clicks',
      version: '1.2.3',
      state: 'active',
      now,
      uptimeSeconds: 65,
      batchIntervalMs: 2000,
      ready: true,
      batchesWaiting: 2,
      inputs: [
        { streamId: 0, name: 'kafka:events', connected: true, receiver: null },
        { streamId: 1, name: 'queue', connected: null, receiver: null },
      ],
      lastCompletedBatch: { batchTime: 30_000, outcome: 'succeeded', numRecords: 3, totalDelayMs: 11 },
      checkpoint: {
        enabled: true,
        last: { batchTime: 28_000, bytes: 321 },
        failures: 1,
        lastFailure: 'rename failed for s3://[redacted]@bucket/x',
      },
    });
    // The newest batch that measured lag (28 000), not an older one.
    expect(s.kafka).toEqual({
      batchTime: 28_000,
      partitions: [
        {
          stream: 'kafka:events',
          topic: 'events',
          partition: 0,
          lagRecords: 10,
          lagSeconds: 1.5,
          committedOffset: 90,
          highWatermark: 100,
          committedLagRecords: null,
          committedLagSeconds: null,
        },
        {
          stream: 'kafka:events',
          topic: 'events',
          partition: 1,
          lagRecords: 0,
          lagSeconds: null,
          committedOffset: 50,
          highWatermark: 50,
          committedLagRecords: null,
          committedLagSeconds: null,
        },
      ],
    });
    expect(s.config).toMatchObject({ app: 'clicks', http: '0.0.0.0:9464', httpToken: '[redacted]' });
    expect(JSON.stringify(s)).not.toContain('super-secret-token-value');
  });

  it('has no Kafka section, no last batch and checkpointing off when there is nothing to show', () => {
    const { ctx } = fakeContext([]);
    const status = new AgentStatus({
      config,
      ssc: { ...ctx, checkpointDir: undefined, recentBatches: () => [] },
      version: '1',
    });
    expect(status.snapshot()).toMatchObject({
      kafka: null,
      lastCompletedBatch: null,
      checkpoint: { enabled: false },
    });
  });

  it('tracks receiver state and the last error from listener events', () => {
    const { ctx, post } = fakeContext([]);
    const status = new AgentStatus({ config, ssc: ctx, version: '1', now: () => 5000 });
    post().onReceiverStarted?.({ streamId: 0, name: 'kafka:events' });
    post().onReceiverError?.({ streamId: 0, name: 'kafka:events', message: 'broker tcp://u:p@b:9092 gone' });
    expect(status.snapshot().inputs[0]!.receiver).toEqual({
      state: 'error',
      lastError: 'broker tcp://[redacted]@b:9092 gone',
      lastErrorTime: 5000,
      errors: 1,
    });
    post().onReceiverStarted?.({ streamId: 0, name: 'kafka:events' });
    expect(status.snapshot().inputs[0]!.receiver).toMatchObject({ state: 'started', errors: 1 });
  });
});

describe('AgentStatus on a StreamingContext', () => {
  it('knows receiver inputs from direct ones before any event', () => {
    const ssc = new StreamingContext({ appName: 'clicks', batchIntervalMs: 1000 });
    ssc.socketTextStream('127.0.0.1', 9).foreachRDD(async () => {});
    ssc.queueStream([[1]]).foreachRDD(async () => {});
    const s = new AgentStatus({ config, ssc, version: '1' }).snapshot();
    expect(s.state).toBe('initialized');
    expect(s.ready).toBe(false);
    expect(s.inputs).toEqual([
      {
        streamId: 0,
        name: 'socket:127.0.0.1:9',
        kind: 'receiver',
        connected: false,
        disconnectedReason: 'not started',
        lastResponseTime: null,
        receiver: { state: 'starting', lastError: null, lastErrorTime: null, errors: 0 },
        errors: 0,
        lastError: null,
        lastErrorTime: null,
      },
      {
        streamId: 1,
        name: 'queue',
        kind: 'other',
        connected: null,
        disconnectedReason: null,
        lastResponseTime: null,
        receiver: null,
        errors: 0,
        lastError: null,
        lastErrorTime: null,
      },
    ]);
  });

  it("shows an input's own failures (input-error events) on that input, redacted, whatever kind of input it is", () => {
    const ssc = new StreamingContext({ appName: 'clicks', batchIntervalMs: 1000 });
    ssc.queueStream([[1]]).foreachRDD(async () => {});
    ssc.queueStream([[2]]).foreachRDD(async () => {});
    let now = 5_000;
    const status = new AgentStatus({ config, ssc, version: '1', now: () => now });
    const bus = ssc as unknown as { bus: { post: (hook: 'onSourceEvent', e: unknown) => void } };
    for (const message of [
      'cannot reach Kafka at k:9092: ECONNREFUSED',
      'cannot reach http://u:secret@k:9092',
    ]) {
      now += 1000;
      bus.bus.post('onSourceEvent', {
        type: 'input-error',
        streamId: 1,
        stream: 'queue',
        operation: 'connect',
        message,
      });
    }
    const [first, second] = status.snapshot().inputs;
    expect(first).toMatchObject({ errors: 0, lastError: null, lastErrorTime: null });
    expect(second).toMatchObject({ errors: 2, lastErrorTime: 7_000, receiver: null });
    expect(second?.lastError).toContain('cannot reach');
    expect(second?.lastError).not.toContain('secret');
  });
});

describe('AgentStatus: readiness and connections', () => {
  it('carries the readiness reasons, redacted, and each input connection with its reason and last answer', () => {
    const { ctx } = fakeContext([]);
    const status = new AgentStatus({
      config,
      ssc: {
        ...ctx,
        ready: false,
        readiness: {
          ready: false,
          reasons: ['input kafka:events is not connected: cannot reach sasl://u:pw@broker:9092'],
        },
        graph: {
          inputs: [
            {
              streamId: 0,
              source: {
                name: 'kafka:events',
                connected: false,
                disconnectedReason: 'cannot reach sasl://u:pw@broker:9092',
                lastResponseMs: 4_000,
              },
            },
            { streamId: 1, source: { name: 'socket:h:1', connected: true, lastResponseMs: 5_000 } },
            { streamId: 2, source: { name: 'file-tail:/x', connected: false } },
          ],
        },
      },
      version: '1',
    });
    const s = status.snapshot();
    expect(s.ready).toBe(false);
    expect(s.readiness).toEqual({
      ready: false,
      reasons: ['input kafka:events is not connected: cannot reach sasl://[redacted]@broker:9092'],
    });
    expect(s.inputs.map((i) => [i.connected, i.disconnectedReason, i.lastResponseTime])).toEqual([
      [false, 'cannot reach sasl://[redacted]@broker:9092', 4_000],
      [true, null, 5_000],
      [false, 'no reason given', null],
    ]);
  });

  it('without reasons from the context, says only that it is not ready', () => {
    const { ctx } = fakeContext([]);
    const notReady = new AgentStatus({ config, ssc: { ...ctx, ready: false }, version: '1' }).snapshot();
    expect(notReady.readiness).toEqual({ ready: false, reasons: ['not ready'] });
    const ready = new AgentStatus({ config, ssc: ctx, version: '1' }).snapshot();
    expect(ready.readiness).toEqual({ ready: true, reasons: [] });
  });

  it('tells a Kafka direct stream from a receiver and from other inputs; reasons from the context', () => {
    const ssc = new StreamingContext({ appName: 'clicks', batchIntervalMs: 1000 });
    ssc
      .kafkaDirectStream({ brokers: ['127.0.0.1:1'], topics: ['t'], groupId: 'g' })
      .foreachRDD(async () => {});
    ssc.fileTailStream('/nonexistent/app.log').foreachRDD(async () => {});
    ssc.generatorStream({ ratePerSec: 1 }).foreachRDD(async () => {});
    const s = new AgentStatus({ config, ssc, version: '1' }).snapshot();
    expect(s.inputs.map((i) => i.kind)).toEqual(['kafka-direct', 'receiver', 'other']);
    expect(s.readiness).toEqual({ ready: false, reasons: ssc.readiness.reasons });
    expect(s.readiness.reasons[0]).toBe('the context has not started');
  });
});

describe('summarizeConfig', () => {
  it('shows every setting but no secret, and the graphite URL without its parsed duplicate', () => {
    const withCreds = {
      ...config,
      checkpointDir: 'postgres://app:pg-pass@db:5432/ckpt',
      // A setting added later (a Pushgateway URL, say) is redacted by the same rules.
      pushgateway: { url: 'http://push:push-pass@gw:9091', password: 'x' },
    } as AgentConfig;
    const shown = summarizeConfig(withCreds) as Record<string, unknown>;
    expect(shown).toMatchObject({
      app: 'clicks',
      batchIntervalMs: 2000,
      http: '0.0.0.0:9464',
      checkpointDir: 'postgres://[redacted]@db:5432/ckpt',
      graphite: { url: 'tcp://carbon.internal:2003', prefix: 'prod' },
      httpToken: '[redacted]',
      pushgateway: { url: 'http://[redacted]@gw:9091', password: '[redacted]' },
    });
    expect(shown.graphite).not.toHaveProperty('target');
    expect(JSON.stringify(shown)).not.toMatch(/pg-pass|push-pass|super-secret/);
  });
});
