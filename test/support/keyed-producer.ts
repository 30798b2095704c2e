/**
 * A producer that keeps producing keyed numeric records until stopped, keeping the expected
 * per-key totals and counts: what a crash or scale-out test compares the sink against.
 */
import type { Kafka } from 'kafkajs';
import { newKafka } from './services.js';

export interface Totals {
  total: number;
  count: number;
}

export interface KeyedProducer {
  /** Expected totals and counts per key of everything sent so far. */
  readonly produced: Map<string, Totals>;
  sent(): number;
  /** Stops after the send in flight and disconnects. */
  stop(): Promise<void>;
}

export async function startKeyedProducer(
  topic: string,
  options: {
    keys: number;
    perSend?: number;
    pauseMs?: number;
    value?: (seq: number) => number;
    /** The client to produce with; default the single test broker's. */
    kafka?: Kafka;
    /** The codec of the batches sent (kafkajs' CompressionTypes id); default none. */
    compression?: number;
  },
): Promise<KeyedProducer> {
  const producer = (options.kafka ?? newKafka(`producer-${topic}`)).producer();
  await producer.connect();
  const produced = new Map<string, Totals>();
  const valueFor = options.value ?? ((seq: number) => 1 + ((seq * 7919) % 100));
  let producing = true;
  let sent = 0;
  const loop = (async () => {
    while (producing) {
      const messages = Array.from({ length: options.perSend ?? 40 }, () => {
        const key = `k${sent % options.keys}`;
        const value = valueFor(sent);
        sent++;
        const p = produced.get(key) ?? { total: 0, count: 0 };
        produced.set(key, { total: p.total + value, count: p.count + 1 });
        return { key, value: String(value) };
      });
      await producer.send({
        topic,
        messages,
        ...(options.compression ? { compression: options.compression } : {}),
      });
      await new Promise((r) => setTimeout(r, options.pauseMs ?? 60));
    }
  })();
  return {
    produced,
    sent: () => sent,
    async stop() {
      producing = false;
      await loop;
      await producer.disconnect();
    },
  };
}
