/**
 * The Java classpath of Kafka's command-line tools (console producer and consumer, log dumper)
 * at the version the single test broker runs: `scripts/services.sh up kafka` resolves them into
 * the cache beside the broker's own jars and records that version in the broker's run dir.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kafkaCacheDir } from './kafka-cluster.js';

/** `$SIDESTREAM_RUN/kafka`: the single broker's run dir (version, server.properties, data/). */
export function kafkaRunDir(): string {
  return join(process.env.SIDESTREAM_RUN || '/tmp/sidestream-services', 'kafka');
}

/** A `-cp` argument naming every jar of the tools for the running broker's version. */
export async function kafkaToolsClasspath(): Promise<string> {
  const version = (await readFile(join(kafkaRunDir(), 'version'), 'utf8')).trim();
  return join(kafkaCacheDir(), `kafka-${version}`, 'tools', '*');
}
