/**
 * Plays a traffic plan (bursty-schedule.ts) into a topic: during a burst it sends every 100 ms
 * whatever keeps it on the burst's rate since the burst began (so a slow send is caught up, not
 * lost from the rate), and sends nothing at all while idle. Records are keyed `k0`..`k63` and
 * their value is their sequence number.
 */
import type { Kafka } from 'kafkajs';
import type { TrafficPhase } from './bursty-schedule.js';

const TICK_MS = 100;
/** One send's most records: keeps a catch-up after a stall from becoming one huge request. */
const MAX_PER_SEND = 2000;
const KEYS = 64;

export interface BurstyProducer {
  /** Records the broker acknowledged. */
  produced(): number;
  /** Bursts begun so far. */
  burstsStarted(): number;
  /** Resolves when the plan is over (or stop() was called); rejects when a send fails. */
  readonly done: Promise<void>;
  /** Ends the plan early and disconnects. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startBurstyProducer(
  kafka: Kafka,
  topic: string,
  plan: readonly TrafficPhase[],
  onPhase: (phase: TrafficPhase) => void = () => {},
): Promise<BurstyProducer> {
  const producer = kafka.producer();
  await producer.connect();
  const startedAt = Date.now();
  let produced = 0;
  let bursts = 0;
  let stopping = false;

  const play = async () => {
    for (const phase of plan) {
      if (phase.rate > 0) bursts++;
      onPhase(phase);
      const phaseEnd = startedAt + phase.startMs + phase.durationMs;
      let sentInPhase = 0;
      while (!stopping && Date.now() < phaseEnd) {
        if (phase.rate > 0) {
          const elapsed = Date.now() - (startedAt + phase.startMs);
          const due = Math.min(Math.floor((phase.rate * elapsed) / 1000) - sentInPhase, MAX_PER_SEND);
          if (due > 0) {
            const messages = Array.from({ length: due }, (_, i) => {
              const seq = produced + i;
              return { key: `k${seq % KEYS}`, value: String(seq) };
            });
            await producer.send({ topic, messages });
            sentInPhase += due;
            produced += due;
          }
        }
        await sleep(Math.min(TICK_MS, Math.max(0, phaseEnd - Date.now())));
      }
      if (stopping) break;
    }
  };
  const done = play().finally(() => producer.disconnect());
  // A caller that only polls must not see an unhandled rejection before it awaits `done`.
  done.catch(() => {});
  return {
    produced: () => produced,
    burstsStarted: () => bursts,
    done,
    async stop() {
      stopping = true;
      await done.catch(() => {});
    },
  };
}
