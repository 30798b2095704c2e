/**
 * The versions a peer benchmark run compared, besides the JVM build's (bench/peers/jvm-build.ts):
 * Node, kafkajs as installed, and the broker's, read from the broker process's classpath in
 * /proc (the local broker of scripts/services.sh runs from its jars), 'unknown' otherwise.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export function kafkajsVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('kafkajs/package.json') as { version: string }).version;
}

export function brokerVersion(): string {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return 'unknown';
  }
  for (const pid of pids) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes('kafka.Kafka')) continue;
    const version =
      /kafka_2\.1[23]-([\d.]+)\.jar/.exec(cmdline)?.[1] ?? /kafka-([\d.]+)\//.exec(cmdline)?.[1];
    if (version) return version;
  }
  return 'unknown';
}
