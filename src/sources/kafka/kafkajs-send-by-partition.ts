/**
 * sendByPartition: one kafkajs send split into one send per partition, each record placed first
 * by kafkajs' own default partitioner (the one its producers use when given none), so records
 * land where a single send would have put them.
 *
 * Why: kafkajs 2.2.4's sendMessages, retrying a failed produce, sends again only to the brokers
 * that have not answered yet in that send. When a partition's leader dies mid-send and its new
 * leader is a broker that already answered for other partitions of the same send, that
 * partition's records are never sent again, and the send resolves as if they were written. In a
 * transaction the commit then shows the other partitions' records, and the consumer group's
 * offset committed with them passes records that were never written: the fleet soak with the
 * Kafka sink lost records this way (a committed transaction whose marker stands in one output
 * partition with none of its records before it). With one partition per send, the broker that
 * answered is only ever that partition's leader, so a retry sends to its new leader.
 */
import type { Message, PartitionMetadata } from 'kafkajs';
import { loadKafkajs } from './kafkajs-client.js';

/** Sends one partition's records (a producer's or a transaction's `send`). */
export type PartitionSend = (record: { topic: string; messages: Message[] }) => Promise<unknown>;

/**
 * Sends `messages` to `topic`, one send per partition, one after another (a failure stops the
 * rest: the caller aborts the transaction). `partitions` is the topic's partition metadata.
 */
export async function sendByPartition(
  send: PartitionSend,
  topic: string,
  messages: readonly Message[],
  partitions: readonly PartitionMetadata[],
): Promise<void> {
  if (messages.length === 0) return;
  if (partitions.length === 0) throw new Error(`no partition metadata for topic ${topic}`);
  const { Partitioners } = await loadKafkajs();
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = [...partitions];
  const byPartition = new Map<number, Message[]>();
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = byPartition.get(partition);
    if (list) list.push({ ...message, partition });
    else byPartition.set(partition, [{ ...message, partition }]);
  }
  for (const [, group] of [...byPartition].sort((a, b) => a[0] - b[0]))
    await send({ topic, messages: group });
}
