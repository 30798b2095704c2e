/**
 * The environment of test/recovery/fixtures/sum-to-postgres.ts, the crash-test job that sums a
 * topic's values per key into PostgreSQL through the transactional sink: which topic and group it
 * reads, which sink app, offsets table and sums table it writes, and its rate cap.
 */
import { kafkaBrokers, POSTGRES_URL } from './services.js';

export interface SumToPostgresEnvOptions {
  readonly topic: string;
  /** The sums table (test/support/pg-sums.ts creates it). */
  readonly table: string;
  /** The sink's app: the key of its rows in the offsets table. */
  readonly app: string;
  readonly offsetsTable: string;
  /** maxRatePerPartition, records per second. */
  readonly maxRate: number;
}

export function sumToPostgresEnv(options: SumToPostgresEnvOptions) {
  // The fixture reads one broker; the test Kafka is a single local broker.
  const [broker] = kafkaBrokers();
  if (broker === undefined) throw new Error('no test Kafka broker configured');
  return {
    PG_URL: POSTGRES_URL,
    SINK_APP: options.app,
    OFFSETS_TABLE: options.offsetsTable,
    SUMS_TABLE: options.table,
    TOPIC: options.topic,
    GROUP: `g-${options.topic}`,
    KAFKA_BROKER: broker,
    MAX_RATE: String(options.maxRate),
  };
}
