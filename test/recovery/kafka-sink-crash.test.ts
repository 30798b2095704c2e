/**
 * Exactly-once into Kafka under real crashes: the agent copies an input topic to an output topic
 * through the transactional sink and is killed with SIGKILL 20 times (at random, and on purpose
 * right after a transaction committed) while a producer keeps producing. A read_committed
 * consumer of the output must then see every input record exactly once. The input is written
 * zstd-compressed and the sink writes lz4, so the crash path decodes and encodes compressed batches.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_CODEC_IDS, registerKafkajsCodecs } from '../../src/sources/kafka/kafka-codecs.js';
import { KafkaRangeReader } from '../../src/sources/kafka/kafka-range-reader.js';
import { freePort, startAgent, untilRunning } from '../support/agent-process.js';
import { crashLoop, waitForAsync } from '../support/crash-loop.js';
import { startKeyedProducer } from '../support/keyed-producer.js';
import { runArgs } from '../support/run-args.js';
import { createTopic, kafkaBrokers, newKafka, requireKafka, uniqueTopic } from '../support/services.js';

const hasKafka = await requireKafka();
const JOB = fileURLToPath(new URL('./fixtures/copy-to-kafka.ts', import.meta.url));
const KILLS = 20;

describe.runIf(hasKafka)('kill -9 with the Kafka transactional sink', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-crash-kafka-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`every input record reaches the output exactly once over ${KILLS} kills`, {
    timeout: 600_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('crash-in'), 3);
    const outTopic = await createTopic(uniqueTopic('crash-out'), 2);
    const checkpointDir = join(dir, 'checkpoint');
    const env = {
      TOPIC: topic,
      OUT_TOPIC: outTopic,
      GROUP: `g-${topic}`,
      KAFKA_BROKER: kafkaBrokers()[0]!,
      MAX_RATE: '300',
      SINK_COMPRESSION: 'lz4',
    };

    // Record `seq` has the value `seq`: the output names exactly which records arrived. The input
    // is zstd-compressed and the sink writes lz4: the crash path reads and writes compressed
    // batches (the codecs of kafka-codecs.ts, the decoder of record-batch/).
    registerKafkajsCodecs();
    const producer = await startKeyedProducer(topic, {
      keys: 13,
      perSend: 30,
      pauseMs: 60,
      value: (seq) => seq,
      compression: KAFKA_CODEC_IDS.zstd,
    });

    const args = (_run: number, http: string) =>
      runArgs({ job: JOB, app: 'copy', batchInterval: '200ms', checkpointDir, http });
    const selfKills = await crashLoop({
      kills: KILLS,
      args,
      env: (i) => ({ ...env, CRASH_AFTER_COMMIT: i % 3 === 0 ? '0.3' : '0' }),
    });
    await producer.stop();
    const sent = producer.sent();

    const final = startAgent(args(KILLS, `127.0.0.1:${await freePort()}`), {
      ...env,
      CRASH_AFTER_COMMIT: '0',
    });
    const admin = newKafka('crash-admin').admin();
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
    await waitForAsync(
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId: env.GROUP, topics: [topic] });
        return (committed?.partitions ?? []).every((p) => Number(p.offset) === ends.get(p.partition));
      },
      120_000,
      'the final run to commit the end of every partition',
    );
    await admin.disconnect();
    await untilRunning(final);
    final.child.kill('SIGTERM');
    expect((await final.exited).code, final.output()).toBe(0);

    // Read the output back as a read_committed consumer would: with KafkaRangeReader, whose
    // filter drops interleaved aborted transactions (kafkajs' consumer lets some through, and
    // this test's two lanes interleave transactions in the output partitions).
    const seen = new Map<number, number>();
    const outAdmin = newKafka('crash-out-admin').admin();
    await outAdmin.connect();
    const outEnds = await outAdmin.fetchTopicOffsets(outTopic);
    await outAdmin.disconnect();
    const reader = new KafkaRangeReader(newKafka('crash-reader'));
    let read = 0;
    try {
      for (const { partition, high } of outEnds) {
        const { messages } = await reader.read(outTopic, partition, 0, Number(high), 60_000);
        for (const m of messages) {
          const seq = Number(m.value?.toString());
          seen.set(seq, (seen.get(seq) ?? 0) + 1);
          read++;
        }
      }
    } finally {
      await reader.close();
    }

    const missing = Array.from({ length: sent }, (_, i) => i).filter((i) => !seen.has(i));
    const duplicated = [...seen].filter(([, n]) => n > 1).map(([i]) => i);
    expect({ missing: missing.length, duplicated: duplicated.length, read }).toEqual({
      missing: 0,
      duplicated: 0,
      read: sent,
    });
    console.log(`kafka sink crash test: ${sent} records, ${KILLS} kills (${selfKills} right after a commit)`);
  });
});
