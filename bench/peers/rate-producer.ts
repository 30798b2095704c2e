/**
 * The steady phase's producer (bench/peers-steady.ts): the word corpus's values
 * (bench/peers/word-corpus.ts) at a fixed rate for a fixed time, sent by the JVM client
 * (bench/peers/spark/.../RateProducer.java) in its own process. kafkajs spends several times
 * the JVM client's CPU per record, and on a 2-core machine the producer competes with the engine
 * it feeds: the lighter producer leaves the engine more of the machine, and comes closer to the
 * rate asked for.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KAFKA_BROKERS } from '../kafka-common.js';
import { type JvmBuild, javaArgs } from './jvm-build.js';
import type { PeerCodec } from './peer-codecs.js';

export interface RateProducerOptions {
  readonly ratePerSec: number;
  readonly durationMs: number;
  readonly partitions: number;
  readonly compression: PeerCodec;
}

/** Records sent (every one acknowledged), and when the sending started and ended (epoch ms). */
export interface RateProduced {
  readonly sent: number;
  readonly started: number;
  readonly ended: number;
}

export async function runRateProducer(
  jvm: JvmBuild,
  topic: string,
  values: readonly string[],
  options: RateProducerOptions,
): Promise<RateProduced> {
  const dir = await mkdtemp(join(tmpdir(), 'sidestream-bench-peers-'));
  try {
    const valuesFile = join(dir, 'values.txt');
    await writeFile(valuesFile, `${values.join('\n')}\n`);
    const { stdout } = await promisify(execFile)('java', javaArgs(jvm, 'sidestream.bench.RateProducer'), {
      env: {
        ...process.env,
        PEER_TOPIC: topic,
        PEER_BROKERS: KAFKA_BROKERS.join(','),
        PEER_RATE: String(options.ratePerSec),
        PEER_DURATION_MS: String(options.durationMs),
        PEER_PARTITIONS: String(options.partitions),
        // The JVM client's compression.type takes the codecs' names as they are ('none', 'lz4', ...).
        PEER_COMPRESSION: options.compression,
        PEER_VALUES_FILE: valuesFile,
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    const line = stdout.split('\n').find((l) => l.startsWith('produced '));
    if (line === undefined) throw new Error(`the rate producer printed no result: ${stdout.slice(-2000)}`);
    return JSON.parse(line.slice('produced '.length)) as RateProduced;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
