/**
 * The part of kafkajs' internal cluster the direct stream talks to without a consumer group:
 * metadata, partition leaders, and requests sent straight to a leader (fetches for the range
 * reader, through kafkajs-raw-fetch.ts; ListOffsets for planning). kafkajs has no public
 * assign() or per-leader request API; its cluster (metadata, leader lookup, broker connections
 * with the client's TLS/SASL settings) is reached through the client's private createCluster
 * factory. It is an internal of kafkajs
 * 2.2.4: package.json pins that exact version, and test/integration/kafka-range-reader.test.ts
 * exercises it against a real broker, so an upgrade that moves it fails loudly.
 */
import type { Kafka } from 'kafkajs';
import { SidestreamError } from '../../errors.js';
import { registerKafkajsCodecs } from './kafka-codecs.js';

/** A broker connection of the cluster (kafkajs' Broker). */
export interface KafkajsBroker {
  /** `host:port`, as kafkajs names the broker in its own errors. */
  readonly brokerAddress?: string;
  /**
   * The request definition for the broker's highest API version kafkajs implements (set once
   * the broker is connected, as findBroker leaves it): kafkajs-raw-fetch.ts sends Fetch with it.
   */
  lookupRequest(apiKey: number, definition: unknown): unknown;
  /** `timestamp` -1: the end of the partition (for read_committed, its last stable offset); -2: its start. */
  listOffsets(request: {
    isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; timestamp: number }[] }[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; offset: string }[] }[] }>;
}

export interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(options: { nodeId: string }): Promise<KafkajsBroker>;
  fetchTopicsOffset(
    topics: { topic: string; fromBeginning: boolean; partitions: { partition: number }[] }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

type CreateCluster = (options: {
  metadataMaxAge: number;
  allowAutoTopicCreation: boolean;
  maxInFlightRequests: number | null;
  isolationLevel: number;
}) => KafkajsCluster;

/** read_committed: the isolation level of the direct stream's group consumer. */
export const READ_COMMITTED = 1;

/** A cluster of `kafka`'s own (its own connections), reading as read_committed. */
export function createKafkajsCluster(kafka: Kafka, metadataMaxAgeMs: number): KafkajsCluster {
  // The client may come from elsewhere than kafkajs-client.ts (a test's own): its fetches must
  // decode every codec all the same.
  registerKafkajsCodecs();
  // The client keeps its factory under a module-private Symbol; its description is stable.
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const factory = symbol === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[symbol];
  if (typeof factory !== 'function') {
    throw new SidestreamError(
      'SS_SOURCE_FAILED',
      'this kafkajs version does not expose the cluster the direct stream reads ranges and offsets with; install kafkajs 2.2.4 (the version package.json pins)',
    );
  }
  return (factory as CreateCluster)({
    metadataMaxAge: metadataMaxAgeMs,
    allowAutoTopicCreation: false,
    maxInFlightRequests: null,
    isolationLevel: READ_COMMITTED,
  });
}
