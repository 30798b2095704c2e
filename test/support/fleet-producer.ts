/**
 * The producer of a fleet run (fleet.ts): it keeps producing numbered records to every partition
 * of a topic through broker faults, and remembers which were acknowledged. Record `seq` has the
 * value `seq` and the key `k<seq % keys>`, and key `kN` always goes to partition `N % partitions`
 * (keys belong to partitions, as with Kafka's default partitioner, so two agents never update the
 * same key's row at once), so every partition gets records and the output names exactly which
 * records arrived.
 *
 * Each send carries ONE partition's records: kafkajs 2.2.4 loses records of a send that spans
 * several leaders when one leader dies during it. Its retry keeps the answers of the brokers that
 * did answer, and when the dead leader's partitions have moved to one of those brokers it sends
 * them nowhere and reports success (the fleet soak caught 16 acknowledged records missing from
 * the topic that way). With one partition per send there is one leader per send, so the retry
 * goes to the new leader.
 *
 * A send that fails (a broker killed mid-request, a leader election that outlasts the retries)
 * may or may not have been written, so what was produced is settled by reading the topic back
 * (topic-records.ts), not by counting sends; the acknowledged ones must all be there (acks=all
 * with min.insync.replicas 2 loses none of them when one broker at a time fails).
 */
import type { Kafka } from 'kafkajs';

export interface FleetProducerOptions {
  readonly partitions: number;
  readonly keys: number;
  /** Records per round (one send per partition, in parallel). */
  readonly perSend: number;
  /** Pause between rounds, ms. */
  readonly pauseMs: number;
}

export interface FleetProducer {
  /** Sequence numbers the cluster acknowledged. */
  acknowledged(): number[];
  /** Records in sends that failed: maybe written, maybe not. */
  failedRecords(): number;
  /** Sends that failed, with their error messages (the first few). */
  failures(): { count: number; examples: string[] };
  /** Records handed to sends so far (acknowledged, failed or in flight). */
  attempted(): number;
  /** Stops after the send in flight and disconnects. */
  stop(): Promise<void>;
}

export async function startFleetProducer(
  kafka: Kafka,
  topic: string,
  options: FleetProducerOptions,
): Promise<FleetProducer> {
  // Idempotent: a retried produce is never written twice, so the topic holds each seq at most once.
  const newProducer = () => kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let producer = newProducer();
  await producer.connect();
  const acked: number[] = [];
  let failedRecords = 0;
  let failedSends = 0;
  const examples: string[] = [];
  let next = 0;
  let producing = true;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (producing) {
      const seqs = Array.from({ length: options.perSend }, () => next++);
      const perPartition = new Map<number, number[]>();
      for (const seq of seqs) {
        const partition = (seq % options.keys) % options.partitions;
        perPartition.set(partition, [...(perPartition.get(partition) ?? []), seq]);
      }
      let failed = false;
      await Promise.all(
        [...perPartition].map(async ([partition, batch]) => {
          try {
            await producer.send({
              topic,
              acks: -1,
              messages: batch.map((seq) => ({
                partition,
                key: `k${seq % options.keys}`,
                value: String(seq),
              })),
            });
            acked.push(...batch);
          } catch (error) {
            failed = true;
            failedSends++;
            failedRecords += batch.length;
            if (examples.length < 5) examples.push(error instanceof Error ? error.message : String(error));
          }
        }),
      );
      if (failed) {
        // kafkajs gives a failed send's sequence numbers to the next send of the partition. When
        // the failed one was written after all, the broker takes the next one for its duplicate
        // and drops it while kafkajs reports it sent (acknowledged records missing from the
        // topic): a new producer (a new producer id) starts the sequences afresh.
        await producer.disconnect().catch(() => {});
        producer = newProducer();
        while (
          producing &&
          !(await producer.connect().then(
            () => true,
            () => false,
          ))
        )
          await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, options.pauseMs);
      });
    }
  })();
  return {
    acknowledged: () => [...acked],
    failedRecords: () => failedRecords,
    failures: () => ({ count: failedSends, examples: [...examples] }),
    attempted: () => next,
    async stop() {
      producing = false;
      wake?.();
      await loop;
      await producer.disconnect();
    },
  };
}
