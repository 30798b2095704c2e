/**
 * The Kafka sink's remembered offsets (`known` in kafka-transactional-sink.ts) against an
 * interleaving a fleet soak produced, replayed in order on a Kafka double: a read of the group's
 * offset made under a producer another agent had already fenced, answered only after the sink had
 * replaced that producer (and after the other agent had committed past the offset read), must not
 * become the new producer's starting point. Before the rule that an offset counts only under the
 * producer it was read under, the last commit below wrote input range [0, 12) a second time.
 */
import { describe, expect, it } from 'vitest';
import { INPUT, KafkaDouble, outputFor, range, SinkOnDouble } from '../support/kafka-sink-double.js';

describe('KafkaTransactionalSink: an offset read under a replaced producer', () => {
  it('is not the new producer starting point: the range another agent committed is not written again', async () => {
    const double = new KafkaDouble();
    const sink = new SinkOnDouble(double);

    // This agent owns the partition: its producer (epoch 1) is initialised, the group is at 0.
    expect(await sink.fetchOffsets(INPUT, [0])).toEqual(new Map([[0, 0]]));
    // Another agent is assigned the partition and initialises the transactional id (epoch 2).
    double.otherAgentInitialises();
    // A re-read here goes out under the cached epoch-1 producer; its answer (0) is held.
    const release = double.holdNextRead();
    const staleRead = sink.fetchOffsets(INPUT, [0]);
    // This agent's commit meets the fence: nothing written, the producer dropped.
    await expect(sink.commitPartition(range(0, 10), outputFor(0, 10))).rejects.toMatchObject({
      code: 'SS_SINK_OFFSET_CONFLICT',
    });
    // The other agent commits [0, 10).
    double.otherAgentCommits(
      10,
      outputFor(0, 10)[0]!.messages.map((m) => m.value),
    );
    // A new assignment here initialises a new producer (epoch 3), then its read fails.
    double.failNextRead();
    await expect(sink.fetchOffsets(INPUT, [0])).rejects.toThrow('Connection error');
    // Only now does the held read answer, with the offset from before the other agent's commit.
    release();
    await staleRead;

    // The next commit, under the epoch-3 producer, must start from the group's real offset (10).
    await expect(sink.commitPartition(range(0, 12), outputFor(0, 12))).rejects.toMatchObject({
      code: 'SS_SINK_OFFSET_CONFLICT',
    });
    expect(double.committed).toBe(10);
    expect(double.written).toEqual(outputFor(0, 10)[0]!.messages.map((m) => m.value));
  });

  it('keeps an offset it committed under the same producer (the group may not show it yet)', async () => {
    const double = new KafkaDouble();
    const sink = new SinkOnDouble(double);
    await sink.fetchOffsets(INPUT, [0]);
    expect(await sink.commitPartition(range(0, 5), outputFor(0, 5))).toBe('applied');
    // The group still answers with the offset before the commit (its markers not yet written):
    double.committed = 0;
    expect(await sink.commitPartition(range(5, 8), outputFor(5, 8))).toBe('applied');
    expect(double.written).toEqual(outputFor(0, 8)[0]!.messages.map((m) => m.value));
  });
});
