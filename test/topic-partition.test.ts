import { describe, expect, it } from 'vitest';
import { parseTopicPartitionKey, topicPartitionKey } from '../src/topic-partition.js';

describe('topicPartitionKey', () => {
  it('prints a partition as Kafka does and parses it back, even when the topic has dashes', () => {
    expect(topicPartitionKey('events', 3)).toBe('events-3');
    for (const [topic, partition] of [
      ['events', 0],
      ['my-topic-2', 11],
      ['a.b_c-', 7],
    ] as const) {
      expect(parseTopicPartitionKey(topicPartitionKey(topic, partition))).toEqual({ topic, partition });
    }
  });

  it('refuses what is not a key', () => {
    for (const bad of ['events', 'events-', '-3', 'events-x', 'events-1.5', 'events-+1']) {
      expect(() => parseTopicPartitionKey(bad), bad).toThrow(RangeError);
    }
  });
});
