/**
 * javaProduce: writes records with Kafka's own Java producer (the console producer of the
 * tools, `scripts/services.sh up kafka`), so a test reads what the reference client writes, here
 * with a chosen `compression.type`. Records are text: keys, values and header values may not
 * hold tabs or newlines, header keys and values no `,` or `:`, and none may be the null marker.
 */
import { execFile } from 'node:child_process';
import { kafkaToolsClasspath } from './kafka-tools-classpath.js';
import { kafkaBrokers } from './services.js';

/** A record as the console producer takes it; null key or value: a null field. */
export interface JavaRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers?: Readonly<Record<string, string>>;
}

export type JavaCompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** What the console producer reads as null (its reader's `null.marker`). */
export const NULL_MARKER = '<NULL>';

function field(text: string, what: string, forbidden: RegExp): string {
  if (forbidden.test(text) || text === NULL_MARKER)
    throw new Error(`javaProduce: ${what} ${JSON.stringify(text)} cannot pass through the console producer`);
  return text;
}

/** One line of the console producer's input: `headers \t key \t value`. */
function line(record: JavaRecord): string {
  const headers = Object.entries(record.headers ?? {});
  const head =
    headers.length === 0
      ? NULL_MARKER
      : headers
          .map(([k, v]) => `${field(k, 'header key', /[\t\n,:]/)}:${field(v, 'header value', /[\t\n,:]/)}`)
          .join(',');
  const key = record.key === null ? NULL_MARKER : field(record.key, 'key', /[\t\n]/);
  const value = record.value === null ? NULL_MARKER : field(record.value, 'value', /[\t\n]/);
  return `${head}\t${key}\t${value}`;
}

/**
 * Writes `records` to `topic` in order with the Java producer, compressing its batches with
 * `compression`; resolves once the producer has exited (every record acknowledged). Its linger
 * (the console producer's 1 s) puts a short list in one batch per partition.
 */
export async function javaProduce(
  topic: string,
  records: readonly JavaRecord[],
  compression: JavaCompressionType,
): Promise<void> {
  const input = `${records.map(line).join('\n')}\n`;
  const args = [
    '-cp',
    await kafkaToolsClasspath(),
    'org.apache.kafka.tools.ConsoleProducer',
    '--bootstrap-server',
    kafkaBrokers().join(','),
    '--topic',
    topic,
    '--compression-codec',
    compression,
    '--command-property',
    'acks=all',
    '--reader-property',
    'parse.key=true',
    '--reader-property',
    'parse.headers=true',
    '--reader-property',
    `null.marker=${NULL_MARKER}`,
    '--reader-property',
    'ignore.error=false',
  ];
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      'java',
      args,
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, _out, err) => {
        if (error)
          reject(
            new Error(`the Java console producer failed for ${topic}: ${error.message}\n${err.slice(-2000)}`),
          );
        else resolve();
      },
    );
    child.stdin?.end(input);
  });
}
