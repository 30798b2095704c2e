/**
 * How far a consumer group's committed offsets are behind a topic's end offsets, summed over the
 * partitions: 0 once the group consumed and committed everything written (what the false-alert
 * soak, scripts/false-alert-soak.ts, waits for before it calls a run drained).
 */
import type { Admin, Kafka } from 'kafkajs';

export async function committedBehind(admin: Admin, topic: string, groupId: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  // -1: nothing committed yet for the partition, so everything after its low watermark is behind.
  const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  let behind = 0;
  for (const p of ends) {
    const from = Math.max(at.get(p.partition) ?? -1, Number(p.low));
    behind += Math.max(0, Number(p.high) - from);
  }
  return behind;
}

/**
 * Polls committedBehind every second until it is 0 or `timeoutMs` passed, calling `onPoll`
 * between polls; resolves to the last figure.
 */
export async function waitUntilCommitted(
  kafka: Kafka,
  topic: string,
  groupId: string,
  timeoutMs: number,
  onPoll: () => Promise<void> = async () => {},
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const end = Date.now() + timeoutMs;
    let behind = await committedBehind(admin, topic, groupId);
    while (behind > 0 && Date.now() < end) {
      await onPoll();
      await new Promise((r) => setTimeout(r, 1000));
      behind = await committedBehind(admin, topic, groupId);
    }
    return behind;
  } finally {
    await admin.disconnect();
  }
}
