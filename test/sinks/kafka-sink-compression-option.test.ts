/**
 * KafkaTransactionalSink's `compression` option, offline: every Kafka codec and 'none' are
 * accepted, anything else is refused when the sink is built, with an error naming the option and
 * the allowed values. That the codec reaches the wire: test/integration/kafka-compression.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { SidestreamError } from '../../src/errors.js';
import { type KafkaSinkCompression, KafkaTransactionalSink } from '../../src/index.js';

const build = (compression: unknown) =>
  new KafkaTransactionalSink({
    brokers: ['127.0.0.1:1'],
    groupId: 'g',
    compression: compression as KafkaSinkCompression,
  });

describe('KafkaTransactionalSink compression option', () => {
  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd', undefined])('accepts %s', (compression) => {
    expect(build(compression).target.compression).toBe(compression);
  });

  it.each(['brotli', 'LZ4', '', 3, null])(
    'refuses %j, naming the option and the allowed values',
    (compression) => {
      let error: unknown;
      try {
        build(compression);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SidestreamError);
      expect((error as SidestreamError).code).toBe('SS_CONFIG_INVALID');
      expect((error as Error).message).toBe(
        `KafkaTransactionalSink: compression must be one of 'none', 'gzip', 'snappy', 'lz4', 'zstd'; got ${JSON.stringify(compression)}`,
      );
    },
  );
});
