/**
 * The job both Kafka benchmarks run, set up as the agent runs it (src/agent/run-agent.ts): a
 * context on the SystemClock with the PrometheusListener attached, a kafkaDirectStream over one
 * topic from its earliest offset under a fresh consumer group, and the throughput benchmark's
 * `.map(r => [r.key, 1]).reduceByKey(add)` collected in a foreachRDD, its first output.
 */
import { type BatchFailurePolicy, type DStream, type KafkaRecord, StreamingContext } from '../src/index.js';
import { MetricsRegistry } from '../src/telemetry/metrics-registry.js';
import { PrometheusListener } from '../src/telemetry/prometheus-listener.js';
import { KAFKA_BROKERS, uniqueName } from './kafka-common.js';
import { add } from './keyed-sum.js';

export interface KafkaKeyCountOptions {
  readonly appName: string;
  readonly batchIntervalMs: number;
  readonly defaultParallelism: number;
  readonly onBatchFailure?: BatchFailurePolicy;
  readonly topic: string;
  /** The consumer group is `<groupPrefix>-<ms>-<random>`: new to the broker. */
  readonly groupPrefix: string;
  /** The direct stream's readAhead (default: tasks read their ranges on demand). */
  readonly readAhead?: boolean;
}

export interface KafkaKeyCount {
  readonly ssc: StreamingContext;
  /** The direct stream, for further outputs (they run after the count). */
  readonly stream: DStream<KafkaRecord>;
  readonly metrics: MetricsRegistry;
  /** Records counted by the reduceByKey output so far. */
  counted(): number;
}

export function kafkaKeyCount(options: KafkaKeyCountOptions): KafkaKeyCount {
  const ssc = new StreamingContext({
    appName: options.appName,
    batchIntervalMs: options.batchIntervalMs,
    defaultParallelism: options.defaultParallelism,
    ...(options.onBatchFailure ? { onBatchFailure: options.onBatchFailure } : {}),
  });
  // Telemetry on, as the agent runs it: the default process metrics and the PrometheusListener.
  const metrics = new MetricsRegistry(options.appName);
  ssc.addStreamingListener(new PrometheusListener(metrics.registry, ssc, 'bench'));
  const stream = ssc.kafkaDirectStream({
    brokers: [...KAFKA_BROKERS],
    topics: [options.topic],
    groupId: uniqueName(options.groupPrefix),
    startingOffsets: 'earliest',
    ...(options.readAhead ? { readAhead: true } : {}),
  });
  let counted = 0;
  stream
    .map((r): [string | null, number] => [r.key, 1])
    .reduceByKey(add)
    .foreachRDD(async (rdd) => {
      for (const [, n] of await rdd.collect()) counted += n;
    });
  return { ssc, stream, metrics, counted: () => counted };
}
