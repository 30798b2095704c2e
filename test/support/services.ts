/**
 * Helpers for integration tests against the real services started by `scripts/services.sh up`
 * (Kafka on 127.0.0.1:9092, PostgreSQL on 127.0.0.1:5433, carbon on 127.0.0.1:2003; see docs/services.md).
 *
 * How a test file uses a service: a describe-level condition, decided once when the file is
 * collected, with a top-level await:
 *
 *   const hasKafka = await requireKafka();
 *   describe.runIf(hasKafka)('kafka input', () => { ... });
 *
 * `requireKafka()` / `requirePostgres()` resolve true when the service answers. When it does not:
 * - with CI=true they THROW (the test file fails, naming `scripts/services.sh up`): in CI a test
 *   that cannot reach its service must never pass by skipping;
 * - otherwise they print one notice and resolve false, so the describe block is reported as
 *   skipped on a developer machine that has not started the services.
 * A describe-level condition was chosen over `ctx.skip()` inside each test so that hooks
 * (beforeAll creating topics, connecting clients) never run against a missing service, and so
 * that the failure under CI is one clear error per file instead of one per test.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { join } from 'node:path';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import pg from 'pg';
import { createKafkaTopic } from './create-kafka-topic.js';
import { probeKafka } from './probe-kafka.js';

export const KAFKA_BROKERS: readonly string[] = ['127.0.0.1:9092'];
export const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5433/sidestream';
/** carbon-cache's line receiver (TCP and UDP), started by `scripts/services.sh up graphite`. */
export const GRAPHITE_HOST = '127.0.0.1';
export const GRAPHITE_PORT = 2003;
/** Where that carbon keeps its whisper files (a.b.c is <dir>/a/b/c.wsp). */
export const GRAPHITE_WHISPER_DIR = join(
  process.env.SIDESTREAM_RUN || '/tmp/sidestream-services',
  'graphite',
  'storage',
  'whisper',
);

/** graphite-web's render API over that carbon's whisper files (`scripts/services.sh up graphite`). */
export const GRAPHITE_WEB_URL = 'http://127.0.0.1:8080';

const START_HINT = 'start the services with `scripts/services.sh up` (see docs/services.md)';

/** The brokers of the test Kafka: always the local single-node broker. */
export function kafkaBrokers(): string[] {
  return [...KAFKA_BROKERS];
}

/** A kafkajs client for the test broker, quiet unless something goes wrong. */
export function newKafka(clientId: string, config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: kafkaBrokers(),
    logLevel: logLevel.ERROR,
    connectionTimeout: 3000,
    ...config,
  });
}

/** A pg client for the test database (not yet connected). */
export function newPgClient(): pg.Client {
  return new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
}

function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

export async function requireService(
  name: string,
  where: string,
  probe: () => Promise<void>,
  hint = START_HINT,
): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const message = `${name} is not reachable at ${where} (${reason}); ${hint}`;
    if (isCi()) throw new Error(`CI=true: ${message}`);
    console.warn(`[services] skipping ${name} tests: ${message}`);
    return false;
  }
}

let kafkaProbe: Promise<boolean> | undefined;
let graphiteProbe: Promise<boolean> | undefined;
let postgresProbe: Promise<boolean> | undefined;
let graphiteWebProbe: Promise<boolean> | undefined;

/**
 * True when the test broker answers a metadata request with a live broker. Under CI=true an
 * unreachable broker throws instead. The probe runs once per test file (module instance).
 */
export function requireKafka(): Promise<boolean> {
  kafkaProbe ??= requireService('Kafka', kafkaBrokers().join(','), () =>
    probeKafka(
      newKafka('sidestream-test-probe', {
        logLevel: logLevel.NOTHING,
        connectionTimeout: 2000,
        requestTimeout: 5000,
        retry: { retries: 2, initialRetryTime: 200 },
      }),
    ),
  );
  return kafkaProbe;
}

/** True when the test database accepts a connection and a query; throws under CI=true when not. */
export function requirePostgres(): Promise<boolean> {
  postgresProbe ??= requireService('PostgreSQL', POSTGRES_URL, async () => {
    const client = newPgClient();
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => {});
    }
  });
  return postgresProbe;
}

/** True when carbon accepts a TCP connection on 127.0.0.1:2003; throws under CI=true when not. */
export function requireGraphite(): Promise<boolean> {
  graphiteProbe ??= requireService('Graphite (carbon-cache)', `${GRAPHITE_HOST}:${GRAPHITE_PORT}`, () => {
    return new Promise<void>((resolve, reject) => {
      const socket = net.createConnection({ host: GRAPHITE_HOST, port: GRAPHITE_PORT, timeout: 2000 });
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('timeout', () => socket.destroy(new Error('connect timed out')));
      socket.once('error', reject);
    });
  });
  return graphiteProbe;
}

/**
 * A topic name no other test (or earlier run) uses: `<prefix>-<ms>-<pid>-<random>`, with the
 * prefix reduced to Kafka's legal characters.
 */
export function uniqueTopic(prefix: string): string {
  const clean = prefix.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 100) || 'topic';
  return `${clean}-${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Creates `name` with `partitions` partitions (replication factor 1) and the topic configuration
 * `config`, and waits for its leaders.
 */
export async function createTopic(
  name: string,
  partitions = 1,
  config: Readonly<Record<string, string>> = {},
): Promise<string> {
  await createKafkaTopic(newKafka('sidestream-test-admin'), name, partitions, config);
  return name;
}

/** True when graphite-web's render API answers on 127.0.0.1:8080; throws under CI=true when not. */
export function requireGraphiteWeb(): Promise<boolean> {
  graphiteWebProbe ??= requireService('graphite-web', GRAPHITE_WEB_URL, async () => {
    const res = await fetch(`${GRAPHITE_WEB_URL}/render?target=sidestream.none&format=json`, {
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`render API answered ${res.status}`);
  });
  return graphiteWebProbe;
}
