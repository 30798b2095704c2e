/**
 * javaConsume: reads a topic with Kafka's own Java consumer (the console consumer of the tools,
 * `scripts/services.sh up kafka`) as read_committed, so a test shows that the reference client
 * reads what sidestream wrote. Records come back as text, in the console consumer's order (one
 * partition's records in offset order).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type JavaRecord, NULL_MARKER } from './java-produce.js';
import { kafkaToolsClasspath } from './kafka-tools-classpath.js';
import { kafkaBrokers } from './services.js';

/** The console consumer's header field when a record has none. */
const NO_HEADERS = 'NO_HEADERS';

function parseHeaders(text: string): Record<string, string> {
  if (text === NO_HEADERS) return {};
  const headers: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf(':');
    headers[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return headers;
}

/** The first `count` records of `topic` from its start; rejects when fewer come within 60 s. */
export async function javaConsume(topic: string, count: number): Promise<JavaRecord[]> {
  const args = [
    '-cp',
    await kafkaToolsClasspath(),
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    '--bootstrap-server',
    kafkaBrokers().join(','),
    '--topic',
    topic,
    '--from-beginning',
    '--isolation-level',
    'read_committed',
    '--max-messages',
    String(count),
    '--timeout-ms',
    '60000',
    '--formatter-property',
    'print.key=true',
    '--formatter-property',
    'print.headers=true',
    '--formatter-property',
    `null.literal=${NULL_MARKER}`,
  ];
  const { stdout } = await promisify(execFile)('java', args, {
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const records = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l): JavaRecord => {
      const [headers = '', key = '', value = ''] = l.split('\t');
      return {
        key: key === NULL_MARKER ? null : key,
        value: value === NULL_MARKER ? null : value,
        headers: parseHeaders(headers),
      };
    });
  if (records.length !== count)
    throw new Error(
      `the Java console consumer read ${records.length} records of ${topic}, expected ${count}`,
    );
  return records;
}
