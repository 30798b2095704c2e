/**
 * AgentStatus: the answer of GET /api/status, what the status page shows above its charts. It
 * reads the context (state, readiness and its reasons, inputs and their connections, queued
 * batches, the newest batch record) and listens for what the context does not keep (receiver
 * lifecycle, checkpoints). The config summary, the reasons and every error are redacted
 * (redact.ts): no password, token or URL credentials ever leave here.
 */
import type {
  CheckpointWritten,
  CompletedBatchRecord,
  ReceiverEvent,
  StreamingListener,
} from '../events/index.js';
import { redactSecrets, redactText } from '../redact.js';
import { KafkaDirectSource } from '../sources/kafka/kafka-direct-source.js';
import { ReceiverSource } from '../sources/receiver-source.js';
import type { ContextState } from '../streaming-context.js';
import type { AgentConfig } from './config.js';

/** Readiness and every reason it fails (StreamingEngine.readiness). */
export interface ReadinessStatus {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/** What AgentStatus reads from the StreamingContext (a StreamingContext satisfies it). */
export interface StatusContext {
  readonly state: ContextState;
  readonly ready: boolean;
  /** With the reasons; absent: `ready` alone, and a reason that says only that. */
  readonly readiness?: ReadinessStatus;
  readonly batchesWaiting: number;
  readonly checkpointDir: string | undefined;
  readonly graph: {
    readonly inputs: readonly {
      readonly streamId: number;
      readonly source: {
        readonly name: string;
        readonly connected?: boolean;
        readonly disconnectedReason?: string | undefined;
        readonly lastResponseMs?: number | undefined;
      };
    }[];
  };
  recentBatches(limit?: number): CompletedBatchRecord[];
  addStreamingListener(listener: StreamingListener): () => void;
}

export type ReceiverState = 'starting' | 'started' | 'error' | 'stopped';

export interface ReceiverStatus {
  readonly state: ReceiverState;
  /** The last error's message and when it came (epoch ms), if the receiver reported one. */
  readonly lastError: string | null;
  readonly lastErrorTime: number | null;
  readonly errors: number;
}

/** What kind of input: the status page words a Kafka direct stream without partitions by it. */
export type InputKind = 'receiver' | 'kafka-direct' | 'other';

export interface InputStatus {
  readonly streamId: number;
  readonly name: string;
  readonly kind: InputKind;
  /** Null when the source has no notion of a connection (queues, generators). */
  readonly connected: boolean | null;
  /** Why it is not connected (redacted); null when connected or without a connection. */
  readonly disconnectedReason: string | null;
  /** Epoch ms it last heard from its upstream; null before the first answer or without one. */
  readonly lastResponseTime: number | null;
  /** Receiver-based inputs only. */
  readonly receiver: ReceiverStatus | null;
  /** Failures the input reported (input-error events: cannot reach its upstream, a failed commit...). */
  readonly errors: number;
  /** The last such failure's message and when it came (epoch ms); null before the first. */
  readonly lastError: string | null;
  readonly lastErrorTime: number | null;
}

export interface PartitionStatus {
  readonly stream: string;
  readonly topic: string;
  readonly partition: number;
  readonly lagRecords: number;
  readonly lagSeconds: number | null;
  readonly committedOffset: number;
  readonly highWatermark: number;
  /** High watermark - committed offset, when the input reports it (docs/telemetry.md, two lags). */
  readonly committedLagRecords: number | null;
  readonly committedLagSeconds: number | null;
}

export interface AgentStatusSnapshot {
  readonly app: string;
  readonly version: string;
  readonly state: ContextState;
  /** Epoch ms, the agent's own clock: the page measures ages against it, not the browser's. */
  readonly now: number;
  readonly startTime: number;
  readonly uptimeSeconds: number;
  readonly batchIntervalMs: number;
  readonly ready: boolean;
  /** What GET /readyz answers: ready, or every reason not (redacted). */
  readonly readiness: ReadinessStatus;
  readonly batchesWaiting: number;
  readonly inputs: readonly InputStatus[];
  /** Kafka partitions of the newest batch that planned any (direct streams), with their lag. */
  readonly kafka: { readonly batchTime: number; readonly partitions: readonly PartitionStatus[] } | null;
  readonly lastCompletedBatch: {
    readonly batchTime: number;
    readonly outcome: string;
    readonly numRecords: number;
    readonly totalDelayMs: number;
    readonly processingEndTime: number;
  } | null;
  /**
   * Checkpointing: off without a checkpoint directory; otherwise the last durable checkpoint
   * seen since this agent started (null before the first) and the failures since.
   */
  readonly checkpoint:
    | { readonly enabled: false }
    | {
        readonly enabled: true;
        readonly last: CheckpointWritten | null;
        readonly failures: number;
        readonly lastFailure: string | null;
      };
  /** The resolved configuration with every secret redacted. */
  readonly config: unknown;
}

export interface AgentStatusOptions {
  readonly config: AgentConfig;
  readonly ssc: StatusContext;
  readonly version: string;
  /** For tests; default Date.now. */
  readonly now?: () => number;
}

export class AgentStatus {
  private readonly receivers = new Map<number, ReceiverStatus>();
  private readonly inputErrors = new Map<
    number,
    { errors: number; lastError: string; lastErrorTime: number }
  >();
  private lastCheckpoint: CheckpointWritten | null = null;
  private checkpointFailures = 0;
  private lastCheckpointFailure: string | null = null;
  private readonly startTime: number;
  private readonly now: () => number;
  private readonly configSummary: unknown;
  readonly unsubscribe: () => void;

  constructor(private readonly options: AgentStatusOptions) {
    this.now = options.now ?? Date.now;
    this.startTime = this.now();
    this.configSummary = summarizeConfig(options.config);
    for (const input of options.ssc.graph.inputs) {
      if (input.source instanceof ReceiverSource) this.receivers.set(input.streamId, receiver('starting'));
    }
    this.unsubscribe = options.ssc.addStreamingListener({
      onReceiverStarted: (e) => this.receiverEvent(e, 'started'),
      onReceiverError: (e) => this.receiverEvent(e, 'error'),
      onReceiverStopped: (e) => this.receiverEvent(e, 'stopped'),
      onSourceEvent: (e) => {
        if (e.type !== 'input-error') return;
        const before = this.inputErrors.get(e.streamId);
        this.inputErrors.set(e.streamId, {
          errors: (before?.errors ?? 0) + 1,
          lastError: redactText(e.message),
          lastErrorTime: this.now(),
        });
      },
      onCheckpointWritten: (c) => {
        this.lastCheckpoint = { ...c };
      },
      onCheckpointFailed: (f) => {
        this.checkpointFailures++;
        this.lastCheckpointFailure = redactText(f.message);
      },
    });
  }

  snapshot(): AgentStatusSnapshot {
    const { ssc, config, version } = this.options;
    const now = this.now();
    const recent = ssc.recentBatches(50);
    const newest = recent[0];
    const readiness = readinessOf(ssc);
    return {
      app: config.app,
      version,
      state: ssc.state,
      now,
      startTime: this.startTime,
      uptimeSeconds: Math.max(0, Math.round((now - this.startTime) / 1000)),
      batchIntervalMs: config.batchIntervalMs,
      ready: readiness.ready,
      readiness,
      batchesWaiting: ssc.batchesWaiting,
      inputs: ssc.graph.inputs.map((input) => {
        const failures = this.inputErrors.get(input.streamId);
        const { source } = input;
        const connected = source.connected ?? null;
        return {
          streamId: input.streamId,
          name: source.name,
          kind: kindOf(source),
          connected,
          disconnectedReason:
            connected === false ? redactText(source.disconnectedReason ?? 'no reason given') : null,
          lastResponseTime: source.lastResponseMs ?? null,
          receiver: this.receivers.get(input.streamId) ?? null,
          errors: failures?.errors ?? 0,
          lastError: failures?.lastError ?? null,
          lastErrorTime: failures?.lastErrorTime ?? null,
        };
      }),
      kafka: kafkaPartitions(recent),
      lastCompletedBatch: newest
        ? {
            batchTime: newest.batchTime,
            outcome: newest.outcome,
            numRecords: newest.numRecords,
            totalDelayMs: newest.totalDelayMs,
            processingEndTime: newest.processingEndTime,
          }
        : null,
      checkpoint:
        ssc.checkpointDir === undefined
          ? { enabled: false }
          : {
              enabled: true,
              last: this.lastCheckpoint,
              failures: this.checkpointFailures,
              lastFailure: this.lastCheckpointFailure,
            },
      config: this.configSummary,
    };
  }

  private receiverEvent(event: ReceiverEvent, state: ReceiverState): void {
    const before = this.receivers.get(event.streamId) ?? receiver('starting');
    this.receivers.set(
      event.streamId,
      state === 'error'
        ? {
            state,
            lastError: redactText(event.message ?? 'error'),
            lastErrorTime: this.now(),
            errors: before.errors + 1,
          }
        : { ...before, state },
    );
  }
}

function kindOf(source: unknown): InputKind {
  if (source instanceof ReceiverSource) return 'receiver';
  if (source instanceof KafkaDirectSource) return 'kafka-direct';
  return 'other';
}

/** The context's readiness with its reasons, redacted (a reason may quote an error message). */
function readinessOf(ssc: StatusContext): ReadinessStatus {
  const given = ssc.readiness ?? { ready: ssc.ready, reasons: ssc.ready ? [] : ['not ready'] };
  return { ready: given.ready, reasons: given.reasons.map(redactText) };
}

function receiver(state: ReceiverState): ReceiverStatus {
  return { state, lastError: null, lastErrorTime: null, errors: 0 };
}

/** The newest batch (of the recent ones) whose inputs measured consumer lag, flattened. */
function kafkaPartitions(recent: readonly CompletedBatchRecord[]): AgentStatusSnapshot['kafka'] {
  for (const batch of recent) {
    const partitions: PartitionStatus[] = [];
    for (const input of batch.inputs) {
      for (const lag of input.consumerLag ?? []) {
        partitions.push({
          stream: input.name,
          topic: lag.topic,
          partition: lag.partition,
          lagRecords: lag.records,
          lagSeconds: lag.seconds ?? null,
          committedOffset: lag.committedOffset,
          highWatermark: lag.highWatermark,
          committedLagRecords: lag.committedLagRecords ?? null,
          committedLagSeconds: lag.committedLagSeconds ?? null,
        });
      }
    }
    if (partitions.length > 0) return { batchTime: batch.batchTime, partitions };
  }
  return null;
}

/**
 * The configuration as a person would read it, secrets redacted: every field of AgentConfig
 * (including ones added later, which are redacted by the same rules) except parsed duplicates.
 */
export function summarizeConfig(config: AgentConfig): unknown {
  const { graphite, ...rest } = config as AgentConfig & Record<string, unknown>;
  const shown: Record<string, unknown> = { ...rest, http: `${config.http.host}:${config.http.port}` };
  if (graphite) {
    // `target` is the parsed `url`: showing it twice adds nothing.
    const { target: _target, ...g } = graphite;
    shown.graphite = g;
  }
  return redactSecrets(shown);
}
