/**
 * `sidestream validate --connect` end to end, the built CLI against the real services: a job's
 * Kafka inputs (direct and receiver streams) on the single broker, a transactional sink used as
 * offset store (Kafka and PostgreSQL), Graphite over TCP (and UDP, which cannot be checked), and
 * a private Pushgateway. Every target that answers gives an ok line and exit 0; a missing topic,
 * a refused port, and a broker that accepts connections but never answers give FAIL lines naming
 * them and exit 1, within the timeout; a password in a URL is never printed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killAll, REPO_ROOT, runCli } from '../support/cli-process.js';
import { type PushgatewayProcess, requirePushgateway, startPushgateway } from '../support/pushgateway.js';
import {
  createTopic,
  GRAPHITE_HOST,
  GRAPHITE_PORT,
  newKafka,
  requireGraphite,
  requireKafka,
  requirePostgres,
  uniqueTopic,
} from '../support/services.js';

const hasKafka = await requireKafka();
const hasGraphite = await requireGraphite();
const hasPushgateway = await requirePushgateway();
const hasPostgres = await requirePostgres();

/** The package the CLI runs from: a job importing it gets the same sink classes as the agent. */
const SIDESTREAM = pathToFileURL(join(REPO_ROOT, 'dist', 'index.js')).href;
const PASSWORD = 'ConnectS3cret-do-not-leak';

afterEach(killAll);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidestream-validate-connect-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function job(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    `import { KafkaTransactionalSink, PostgresTransactionalSink } from '${SIDESTREAM}';\nexport default (ssc) => {\n${body}\n};\n`,
  );
  return path;
}

/** validate --connect, with executors off (no worker threads needed to check targets). */
async function validateConnect(args: string[]) {
  const started = Date.now();
  const r = await runCli(['validate', '--connect', '--executors', '0', ...args], { timeoutMs: 30_000 });
  return { ...r, elapsedMs: Date.now() - started, lines: r.stdout.trim().split('\n') };
}

/** A line of the report: its status, target and detail. */
function lineFor(lines: readonly string[], status: 'ok' | 'FAIL' | 'skip', target: string, detail: string) {
  const found = lines.find((l) => l.startsWith(`${status.padEnd(6)}${target}: ${detail}`));
  expect(found, `no line '${status} ${target}: ${detail}...' in\n${lines.join('\n')}`).toBeDefined();
  return found as string;
}

describe('sidestream validate --connect: usage', () => {
  it('without --connect nothing is contacted: a dead broker still validates', async () => {
    const dead = await freePort();
    const path = await job(
      'dead-broker-plain.mjs',
      `ssc.kafkaDirectStream({ brokers: ['127.0.0.1:${dead}'], topics: ['t'], groupId: 'g' }).foreachRDD(async () => {});`,
    );
    const r = await runCli(['validate', '--executors', '0', path]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
    expect(r.code).toBe(0);
  });

  it('with nothing to check it says so and succeeds', async () => {
    const r = await validateConnect([]);
    expect(r.lines).toEqual([
      'ok',
      'connect: nothing to check (no Kafka input, graphite or pushgateway configured)',
    ]);
    expect(r.code).toBe(0);
  });

  it('a bad --connect-timeout, or one without --connect, is a usage error', async () => {
    const bad = await runCli(['validate', '--connect', '--connect-timeout', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "[SS_USAGE]: --connect-timeout: 'soon' must be a duration > 0; for example 5s",
    );
    const alone = await runCli(['validate', '--connect-timeout', '2s']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--connect-timeout only applies with --connect');
  });
});

describe.runIf(hasKafka)('sidestream validate --connect: Kafka inputs', () => {
  let topic: string;
  const group = uniqueTopic('validate-connect-group');
  beforeAll(async () => {
    topic = await createTopic(uniqueTopic('validate-connect'), 3);
    // One partition with a committed offset, so the group line has something to count.
    const admin = newKafka('validate-connect-test').admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 1, offset: '0' }] });
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  it('a direct stream, a receiver stream and a Kafka sink on the broker: every line ok, exit 0', async () => {
    const path = await job(
      'kafka-ok.mjs',
      `const brokers = ['127.0.0.1:9092'];
ssc.kafkaDirectStream({ brokers, topics: ['${topic}'], groupId: '${group}',
  offsetStore: new KafkaTransactionalSink({ brokers, groupId: '${group}' }) }).foreachRDD(async () => {});
ssc.kafkaReceiverStream({ brokers, topics: ['${topic}'], groupId: '${group}-r', startingOffsets: 'earliest' }).print();`,
    );
    const r = await validateConnect([path]);
    expect(r.stderr).toBe('');
    const direct = `kafka 127.0.0.1:9092 (input kafka:${topic})`;
    const receiver = `kafka 127.0.0.1:9092 (input kafka-receiver:${topic})`;
    const sink = `kafka 127.0.0.1:9092 (sink of input kafka:${topic})`;
    expect(lineFor(r.lines, 'ok', direct, 'broker answers; the cluster has 1 broker')).toMatch(
      / \(\d+ ms\)$/,
    );
    lineFor(r.lines, 'ok', direct, `topic ${topic} has 3 partitions`);
    lineFor(r.lines, 'ok', direct, `group ${group} has committed offsets for 1 of 3 partitions of ${topic}`);
    lineFor(r.lines, 'ok', receiver, `topic ${topic} has 3 partitions`);
    lineFor(
      r.lines,
      'ok',
      receiver,
      `group ${group}-r has no committed offsets for ${topic} yet: it starts at the earliest offsets`,
    );
    lineFor(r.lines, 'ok', sink, 'broker answers');
    lineFor(r.lines, 'ok', sink, `group ${group}'s committed offsets can be read`);
    expect(r.lines.filter((l) => !l.startsWith('ok'))).toEqual(['connect: 8 ok, 0 failed']);
    expect(r.code).toBe(0);
  });

  it('a missing topic, a refused broker port and a broker that never answers: FAIL lines, exit 1, bounded', async () => {
    const refused = await freePort();
    // Accepts connections and never answers: only the timeout can end the wait.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    const missing = uniqueTopic('validate-connect-missing');
    const path = await job(
      'kafka-fail.mjs',
      `ssc.kafkaDirectStream({ brokers: ['127.0.0.1:9092', '127.0.0.1:${refused}'], topics: ['${topic}', '${missing}'], groupId: '${group}' }).foreachRDD(async () => {});
ssc.kafkaDirectStream({ brokers: ['127.0.0.1:${silentPort}'], topics: ['${topic}'], groupId: '${group}' }).foreachRDD(async () => {});`,
    );
    try {
      // 5 s, not less: the good broker's checks must also finish within it on a loaded machine.
      const r = await validateConnect(['--connect-timeout', '5s', path]);
      const first = `(input kafka:${topic},${missing})`;
      lineFor(r.lines, 'ok', `kafka 127.0.0.1:9092 ${first}`, 'broker answers');
      lineFor(
        r.lines,
        'FAIL',
        `kafka 127.0.0.1:${refused} ${first}`,
        'connection refused (ECONNREFUSED); is a Kafka broker running there, on that port?',
      );
      const both = `kafka 127.0.0.1:9092,127.0.0.1:${refused} ${first}`;
      lineFor(r.lines, 'ok', both, `topic ${topic} has 3 partitions`);
      lineFor(
        r.lines,
        'FAIL',
        both,
        `topic ${missing} does not exist; create it, or fix the topic's name in the job`,
      );
      lineFor(
        r.lines,
        'FAIL',
        `kafka 127.0.0.1:${silentPort} (input kafka:${topic})`,
        'no answer within 5s; check the address and that a Kafka broker is up, or raise --connect-timeout',
      );
      expect(r.lines.at(-1)).toBe('connect: 3 ok, 3 failed');
      expect(r.code).toBe(1);
      // Start-up (a few seconds on a loaded machine) plus one 5 s timeout, not one per check.
      expect(r.elapsedMs).toBeLessThan(15_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe.runIf(hasGraphite)('sidestream validate --connect: Graphite', () => {
  it('carbon over TCP is ok, a dead port fails, UDP is not checked', async () => {
    const ok = await validateConnect(['--graphite', `tcp://${GRAPHITE_HOST}:${GRAPHITE_PORT}`]);
    lineFor(
      ok.lines,
      'ok',
      `graphite tcp://${GRAPHITE_HOST}:${GRAPHITE_PORT}`,
      'carbon accepts TCP connections',
    );
    expect(ok.lines.at(-1)).toBe('connect: 1 ok, 0 failed');
    expect(ok.code).toBe(0);

    const dead = await freePort();
    const failed = await validateConnect(['--graphite', `tcp://127.0.0.1:${dead}`]);
    lineFor(
      failed.lines,
      'FAIL',
      `graphite tcp://127.0.0.1:${dead}`,
      'connection refused (ECONNREFUSED); is carbon running there, on that port?',
    );
    expect(failed.code).toBe(1);

    const udp = await validateConnect(['--graphite', `udp://${GRAPHITE_HOST}:${GRAPHITE_PORT}`]);
    lineFor(
      udp.lines,
      'skip',
      `graphite udp://${GRAPHITE_HOST}:${GRAPHITE_PORT}`,
      'not checked: UDP gets no answer',
    );
    expect(udp.lines.at(-1)).toBe('connect: 0 ok, 0 failed, 1 not checked');
    expect(udp.code).toBe(0);
  });
});

describe.runIf(hasPushgateway)('sidestream validate --connect: Pushgateway', () => {
  let gateway: PushgatewayProcess;
  beforeAll(async () => {
    gateway = await startPushgateway();
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it('a running gateway is ready, also with credentials in its URL (never printed); a dead one fails', async () => {
    const ok = await validateConnect(['--pushgateway', gateway.url]);
    lineFor(ok.lines, 'ok', `pushgateway ${gateway.url}`, 'ready (HTTP 200 from /-/ready)');
    expect(ok.code).toBe(0);

    const withCredentials = gateway.url.replace('http://', `http://alice:${PASSWORD}@`);
    const secret = await validateConnect(['--pushgateway', withCredentials]);
    lineFor(
      secret.lines,
      'ok',
      `pushgateway ${gateway.url.replace('http://', 'http://[redacted]@')}`,
      'ready',
    );
    expect(secret.stdout + secret.stderr).not.toContain(PASSWORD);
    expect(secret.code).toBe(0);

    const dead = await freePort();
    const failed = await validateConnect(['--pushgateway', `http://bob:${PASSWORD}@127.0.0.1:${dead}`]);
    lineFor(
      failed.lines,
      'FAIL',
      `pushgateway http://[redacted]@127.0.0.1:${dead}`,
      'connection refused (ECONNREFUSED); is the Pushgateway running there, on that port?',
    );
    expect(failed.stdout + failed.stderr).not.toContain(PASSWORD);
    expect(failed.code).toBe(1);
  });
});

describe.runIf(hasKafka && hasPostgres)('sidestream validate --connect: PostgreSQL sink', () => {
  it('the offset-store sink answers; a dead port fails; the password is never printed', async () => {
    const topic = await createTopic(uniqueTopic('validate-connect-pg'), 1);
    const dead = await freePort();
    const path = await job(
      'pg.mjs',
      `const brokers = ['127.0.0.1:9092'];
for (const port of [5433, ${dead}]) {
  const sink = new PostgresTransactionalSink({ connectionString: \`postgres://postgres:${PASSWORD}@127.0.0.1:\${port}/sidestream\`, app: 'vc', offsetsTable: 'validate_connect_absent' });
  ssc.kafkaDirectStream({ brokers, topics: ['${topic}'], groupId: 'vc-' + port, offsetStore: sink }).foreachRDD(async () => {});
}`,
    );
    const r = await validateConnect([path]);
    lineFor(
      r.lines,
      'ok',
      `postgres postgres://127.0.0.1:5433/sidestream (sink of input kafka:${topic})`,
      'database sidestream answers; offsets table validate_connect_absent does not exist yet: the sink creates it on first use',
    );
    lineFor(
      r.lines,
      'FAIL',
      `postgres postgres://127.0.0.1:${dead}/sidestream (sink of input kafka:${topic})`,
      'connection refused (ECONNREFUSED); is PostgreSQL running there, on that port?',
    );
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(r.code).toBe(1);
  });
});
