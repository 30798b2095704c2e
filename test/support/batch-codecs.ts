/**
 * batchCodecs: the compression codec of every record batch of a partition as the broker stored
 * it, read from the single test broker's log segments with Kafka's own log dumper. It tells what
 * a producer really put on the wire: a broker keeps a batch's codec as the producer sent it
 * (compression.type=producer, the default).
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kafkaRunDir, kafkaToolsClasspath } from './kafka-tools-classpath.js';

/**
 * Each batch of `topic`-`partition` in offset order, as `{ codec, control }` (codec as the dumper
 * names it: none, gzip, snappy, lz4, zstd; control: a transaction marker).
 */
export async function batchCodecs(
  topic: string,
  partition: number,
): Promise<{ codec: string; control: boolean }[]> {
  const dir = join(kafkaRunDir(), 'data', `${topic}-${partition}`);
  const segments = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  const { stdout } = await promisify(execFile)(
    'java',
    [
      '-cp',
      await kafkaToolsClasspath(),
      'org.apache.kafka.tools.DumpLogSegments',
      '--files',
      segments.map((f) => join(dir, f)).join(','),
    ],
    { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const batches: { codec: string; control: boolean }[] = [];
  for (const line of stdout.split('\n')) {
    const codec = /\bcompresscodec: (\w+)/.exec(line)?.[1];
    if (codec !== undefined) batches.push({ codec, control: /\bisControl: true\b/.test(line) });
  }
  return batches;
}
