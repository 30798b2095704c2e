/**
 * A Kafka broker of a test's own, for fault tests: the same single-node KRaft broker+controller
 * that scripts/services.sh runs on 9092 (its jars under ~/.cache/sidestream/kafka-<version>/lib,
 * its scripts/kafka/server.properties.template), but on free ports with a log directory of its
 * own, so a test may freeze it (SIGSTOP/SIGCONT), kill it and start it again without touching
 * the shared broker. Only what the test started is ever signalled, by its pid.
 *
 * requirePrivateBroker() follows requireKafka's rule (test/support/services.ts): it resolves false
 * with a notice when Java or the jars are missing, and throws under CI=true.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './agent-process.js';
import { requireService } from './services.js';

const run = promisify(execFile);
const TEMPLATE = fileURLToPath(new URL('../../scripts/kafka/server.properties.template', import.meta.url));

/** The broker jars scripts/services.sh resolved (the newest complete kafka-<version>/lib), if any. */
export function kafkaJarsDir(): string | undefined {
  const cache = process.env.SIDESTREAM_CACHE || join(homedir(), '.cache', 'sidestream');
  const wanted = process.env.SIDESTREAM_KAFKA_VERSION;
  const versions = existsSync(cache)
    ? readdirSync(cache)
        .filter((d) => d.startsWith('kafka-') && existsSync(join(cache, d, 'lib', '.complete')))
        .sort()
    : [];
  const dir = wanted ? `kafka-${wanted}` : versions.at(-1);
  return dir && versions.includes(dir) ? join(cache, dir, 'lib') : undefined;
}

let probe: Promise<boolean> | undefined;

/** True when a private broker can be started (Java and the jars); throws under CI=true when not. */
export function requirePrivateBroker(): Promise<boolean> {
  probe ??= requireService('a private Kafka broker (Java and the Kafka jars)', 'this machine', async () => {
    if (!kafkaJarsDir()) throw new Error('no Kafka jars under ~/.cache/sidestream/kafka-*/lib');
    await run('java', ['-version']);
  });
  return probe;
}

/** A Kafka cluster id: 16 random bytes, base64url, never starting with '-' (Kafka's own rule). */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface PrivateBroker {
  /** `127.0.0.1:<port>`, for a client's `brokers`. */
  readonly address: string;
  /** A quiet kafkajs client for it. */
  client(clientId: string): Kafka;
  /** SIGSTOP: the broker's sockets stay open and nothing answers. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** SIGKILL, waiting for the process to be gone. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and log directory; resolves once it answers. */
  restart(): Promise<void>;
  /** Kills it and removes its log directory. */
  close(): Promise<void>;
}

/** Starts a broker on free ports and waits until it answers a metadata request. */
export async function startPrivateBroker(): Promise<PrivateBroker> {
  const lib = kafkaJarsDir();
  if (!lib)
    throw new Error('no Kafka jars under ~/.cache/sidestream/kafka-*/lib (scripts/services.sh up kafka)');
  const dir = await mkdtemp(join(tmpdir(), 'ss-broker-'));
  const port = await freePort();
  const controllerPort = await freePort();
  const conf = join(dir, 'server.properties');
  const logFile = join(dir, 'broker.log');
  const template = await readFile(TEMPLATE, 'utf8');
  await writeFile(
    conf,
    template
      .replaceAll('@LOG_DIR@', join(dir, 'data'))
      .replaceAll('127.0.0.1:9093', `127.0.0.1:${controllerPort}`)
      .replaceAll('127.0.0.1:9092', `127.0.0.1:${port}`),
  );
  const classpath = `${lib}/*`;
  await run('java', ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', conf]);
  const address = `127.0.0.1:${port}`;
  const client = (clientId: string) =>
    new Kafka({
      clientId,
      brokers: [address],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { retries: 2, initialRetryTime: 200 },
    });

  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);
  const launch = async () => {
    const out = openSync(logFile, 'a');
    child = spawn(
      'java',
      [
        '-Xmx384m',
        '-XX:+UseG1GC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.awt.headless=true',
        '-cp',
        classpath,
        'kafka.Kafka',
        conf,
      ],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    const started = child;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`the broker exited: ${await readFile(logFile, 'utf8')}`);
      const admin = client('private-broker-ready').admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.brokers.length > 0 && cluster.controller !== null) return;
      } catch {
        // Not up yet.
      } finally {
        await admin.disconnect().catch(() => {});
      }
      if (Date.now() > deadline) throw new Error(`the broker did not answer on ${address} within 90 s`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGCONT');
    c.kill('SIGKILL');
    await gone;
  };
  await launch();
  return {
    address,
    client,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    close: async () => {
      await kill();
      process.removeListener('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
