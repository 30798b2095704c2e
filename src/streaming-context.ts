/**
 * StreamingContext: the entry point of the library, Spark's StreamingContext. Declare inputs and
 * the DStream graph, then start(): every batch interval the engine generates the batch, runs its
 * jobs, and leaves a record for listeners, the HTTP API and the optional JSON-lines batch log.
 *
 * A thin facade: the engine (engine/streaming-engine.ts) owns generation, scheduling, lifecycle
 * and recovery; this class adds what the engine must not know: the built-in inputs (each built by
 * its own source module, as Spark's KafkaUtils builds Kafka streams), the user metrics API
 * (`ssc.metrics`), OpenTelemetry tracing and the batch log.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DStream } from './dstream/dstream.js';
import type { InputSource } from './dstream/input-source.js';
import type { EngineOptions } from './engine/engine-options.js';
import type { BackpressureOptions } from './engine/rate/rate-controller.js';
import { StreamingEngine } from './engine/streaming-engine.js';
import type { Receiver } from './receiver/receiver.js';
import { type FileTailOptions, FileTailReceiver } from './sources/file-tail-receiver.js';
import {
  type GeneratedEvent,
  GeneratorSource,
  type GeneratorStreamOptions,
} from './sources/generator-source.js';
import { KafkaDirectSource, type KafkaDirectStreamOptions } from './sources/kafka/kafka-direct-source.js';
import type { KafkaDStream } from './sources/kafka/kafka-rdd.js';
import { KafkaReceiver, type KafkaReceiverStreamOptions } from './sources/kafka/kafka-receiver.js';
import type { KafkaRecord } from './sources/kafka/kafka-record.js';
import { QueueSource, type QueueStreamOptions } from './sources/queue-source.js';
import { ReceiverSource, type ReceiverStreamOptions } from './sources/receiver-source.js';
import { SocketReceiver, type SocketReceiverOptions } from './sources/socket-receiver.js';
import { TextFileSource, type TextFileStreamOptions } from './sources/text-file-source.js';
import { BatchLogWriter } from './telemetry/batch-log-writer.js';
import type { MetricsRegistry } from './telemetry/metrics-registry.js';
import { TracingListener } from './telemetry/tracing.js';
import { UserMetrics } from './telemetry/user-metrics.js';

export type { BatchFailurePolicy } from './engine/engine-options.js';
export type { RecoveryReport } from './engine/recovery-plan.js';
export type { ContextState, GetOrCreateOptions, StopOptions } from './engine/streaming-engine.js';

export interface StreamingContextOptions extends EngineOptions {
  /** Append every completed batch record as one JSON line to this file. */
  batchLogPath?: string | undefined;
  /**
   * The registry `ssc.metrics` declares user metrics on (and the agent serves on /metrics);
   * default: one created on first use, reachable as `ssc.metrics.registry`.
   */
  metricsRegistry?: MetricsRegistry;
  /**
   * OpenTelemetry spans per batch, output operation and task attempt through
   * `@opentelemetry/api` (no-ops unless the application registers an SDK); default true.
   */
  tracing?: boolean;
}

export class StreamingContext extends StreamingEngine {
  /** User metrics: counter/gauge/histogram exported with the catalogue's (docs/telemetry.md). */
  readonly metrics: UserMetrics;
  private readonly batchLog: BatchLogWriter | undefined;

  constructor(options: StreamingContextOptions) {
    super(options);
    this.metrics = new UserMetrics(this.appName, options.metricsRegistry);
    // Executor workers record their user-metric updates for the driver to replay.
    if (options.lineageRegistry) this.metrics.startRecording();
    options.executor?.attachUserMetrics?.(this.metrics);
    if (options.tracing !== false) this.addStreamingListener(new TracingListener());
    if (options.batchLogPath) {
      const log = new BatchLogWriter(options.batchLogPath);
      this.batchLog = log;
      this.addStreamingListener(log);
      this.onStopped.push(() => log.flushed());
    }
  }

  /** Batch log appends that failed; the batch itself is unaffected. */
  get batchLogErrors(): number {
    return this.batchLog?.errors ?? 0;
  }

  // ---- inputs -----------------------------------------------------------------------------------

  /** One array per batch, taken in order; push more arrays to `batches` at any time. */
  queueStream<T>(batches: T[][], options?: QueueStreamOptions<T>): DStream<T> {
    return this.inputStream(new QueueSource(batches, options));
  }

  /** Embedded synthetic keyed events with event times: the default source of the demo. */
  generatorStream(options: GeneratorStreamOptions): DStream<GeneratedEvent> {
    return this.inputStream(new GeneratorSource(options));
  }

  /**
   * Lines of files moved into `dir` after start. Lines longer than `maxLineBytes` (default
   * 1 MiB) are skipped and counted as `LineTooLong` record errors (and written to
   * `deadLetterPath` when it is set).
   */
  textFileStream(dir: string, options: TextFileStreamOptions = {}): DStream<string> {
    return this.inputStream(new TextFileSource(dir, options));
  }

  /**
   * Lines of text from a TCP server (the agent connects as a client), through a receiver:
   * blocks, the write-ahead log when a checkpoint directory is set, and `ack` to acknowledge
   * stored lines to the sender (see SocketReceiver). Lines longer than `maxLineBytes` (default
   * 1 MiB) are dropped and counted as `LineTooLong` record errors, and written to
   * `deadLetterPath` when it is set.
   */
  socketTextStream(
    host: string,
    port: number,
    options: ReceiverStreamOptions<string> &
      SocketReceiverOptions & { backpressure?: BackpressureOptions | boolean } = {},
  ): DStream<string> {
    const receiver = new SocketReceiver(host, port, {
      ...(options.ack === undefined ? {} : { ack: options.ack }),
      ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
      ...(options.deadLetterPath === undefined ? {} : { deadLetterPath: options.deadLetterPath }),
    });
    return this.receiverInput(`socket:${host}:${port}`, receiver, options);
  }

  /**
   * Lines appended to one file, followed like `tail -F` through rotation and truncation, via a
   * receiver (blocks, write-ahead log). With a checkpoint directory the read position is saved
   * once the lines before it are stored, so a restart continues where it stopped.
   */
  fileTailStream(
    path: string,
    options: FileTailOptions &
      ReceiverStreamOptions<string> & { backpressure?: BackpressureOptions | boolean } = {},
  ): DStream<string> {
    const positionFile =
      this.checkpointDir === undefined
        ? undefined
        : join(
            this.checkpointDir,
            'tail-positions',
            `${createHash('sha256').update(path).digest('hex').slice(0, 16)}.json`,
          );
    return this.receiverInput(
      `file-tail:${path}`,
      new FileTailReceiver(path, positionFile, options),
      options,
    );
  }

  /**
   * Kafka, the direct approach: each batch reads exactly the offset ranges planned for it, logged
   * under the checkpoint directory before the batch runs and committed after it (docs/kafka.md).
   * With `backpressure`, a PID rate estimator caps how much a batch reads. Its RDDs carry their
   * `offsetRanges`.
   */
  kafkaDirectStream<V = string | null>(
    options: KafkaDirectStreamOptions<V> & { backpressure?: BackpressureOptions | boolean },
  ): KafkaDStream<V> {
    let rate: () => number | undefined = () => undefined;
    const source = new KafkaDirectSource<V>(options, {
      ...(this.checkpointDir === undefined ? {} : { checkpointDir: this.checkpointDir }),
      rate: () => rate(),
    });
    const added = this.addInput(source, options.backpressure);
    rate = added.rate;
    // Every RDD the direct source generates is a KafkaRDD (kafka-rdd-reads.ts).
    return added.stream as unknown as KafkaDStream<V>;
  }

  /**
   * Kafka through a receiver (Spark's reliable receiver): a group consumer whose batches are
   * written to the write-ahead log before their offsets are committed. At-least-once; prefer
   * kafkaDirectStream for exactly-once (docs/kafka.md compares them).
   */
  kafkaReceiverStream<V = string | null>(
    options: KafkaReceiverStreamOptions<V> &
      Omit<ReceiverStreamOptions<KafkaRecord<V>>, 'eventTime'> & {
        backpressure?: BackpressureOptions | boolean;
      },
  ): DStream<KafkaRecord<V>> {
    const eventTime = options.eventTime ?? ((r: KafkaRecord<V>) => r.timestamp);
    return this.receiverInput(`kafka-receiver:${options.topics.join(',')}`, new KafkaReceiver<V>(options), {
      ...options,
      eventTime,
    });
  }

  /** A stream fed by a user-defined Receiver (blocks, write-ahead log, backpressure as configured). */
  receiverStream<T>(
    receiver: Receiver<T>,
    options: ReceiverStreamOptions<T> & { name?: string; backpressure?: BackpressureOptions | boolean } = {},
  ): DStream<T> {
    return this.receiverInput(options.name ?? 'receiver', receiver, options);
  }

  private receiverInput<T>(
    name: string,
    receiver: Receiver<T>,
    options: ReceiverStreamOptions<T> & { backpressure?: BackpressureOptions | boolean },
  ): DStream<T> {
    let rate: () => number | undefined = () => undefined;
    const source: InputSource<T> = new ReceiverSource<T>(name, receiver, options, () => rate());
    const added = this.addInput(source, options.backpressure);
    rate = added.rate;
    return added.stream;
  }
}
