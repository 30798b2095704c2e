/**
 * Exactly-once under real crashes: the agent runs as a child process summing Kafka records into
 * PostgreSQL through the transactional sink, and is killed with SIGKILL at random moments 20
 * times (planning, fetching, mid-batch, and on purpose right after a sink commit) while a
 * producer keeps producing. After a final clean run, the sums and counts in PostgreSQL must
 * equal what was produced: zero lost, zero duplicated. Also checks seed 003's rule: the first
 * batch after a crash has exactly the ranges of the last batch planned but not committed.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OffsetRange } from '../../src/index.js';
import { OffsetLog } from '../../src/state/offset-log.js';
import { freePort, startAgent } from '../support/agent-process.js';
import { waitFor } from '../support/manual-run.js';
import {
  createTopic,
  kafkaBrokers,
  newKafka,
  newPgClient,
  POSTGRES_URL,
  requireKafka,
  requirePostgres,
  uniqueTopic,
} from '../support/services.js';

const hasServices = (await requirePostgres()) && (await requireKafka());
const JOB = fileURLToPath(new URL('./fixtures/sum-to-postgres.ts', import.meta.url));
const KILLS = 20;

describe.runIf(hasServices)('kill -9 with the PostgreSQL transactional sink', () => {
  const pgClient = newPgClient();
  let dir: string;
  beforeAll(async () => {
    await pgClient.connect();
    dir = await mkdtemp(join(tmpdir(), 'ss-crash-'));
  });
  afterAll(async () => {
    await pgClient.end();
    await rm(dir, { recursive: true, force: true });
  });

  it(`loses nothing and duplicates nothing over ${KILLS} kills`, { timeout: 600_000 }, async () => {
    const topic = await createTopic(uniqueTopic('crash-pg'), 3);
    const table = `crash_sums_${Date.now()}`;
    await pgClient.query(
      `CREATE TABLE ${table} (key text PRIMARY KEY, total bigint NOT NULL, count bigint NOT NULL)`,
    );
    const checkpointDir = join(dir, 'checkpoint');
    const env = {
      PG_URL: POSTGRES_URL,
      SINK_APP: `crash-${topic}`,
      OFFSETS_TABLE: 'crash_offsets',
      SUMS_TABLE: table,
      TOPIC: topic,
      GROUP: `g-${topic}`,
      KAFKA_BROKER: kafkaBrokers()[0]!,
      MAX_RATE: '400',
    };

    // A producer that keeps producing through every kill.
    const producer = newKafka('crash-producer').producer();
    await producer.connect();
    const produced = new Map<string, { total: number; count: number }>();
    let producing = true;
    let sent = 0;
    const producerLoop = (async () => {
      while (producing) {
        const messages = Array.from({ length: 40 }, () => {
          const key = `k${sent % 11}`;
          const value = 1 + ((sent * 7919) % 100);
          sent++;
          const p = produced.get(key) ?? { total: 0, count: 0 };
          produced.set(key, { total: p.total + value, count: p.count + 1 });
          return { key, value: String(value) };
        });
        await producer.send({ topic, messages });
        await new Promise((r) => setTimeout(r, 60));
      }
    })();

    const log = new OffsetLog(join(checkpointDir, 'kafka', 'stream-0'));
    const pendingBefore: (readonly OffsetRange[] | undefined)[] = [];
    const agentArgs = (i: number) => [
      'run',
      JOB,
      '--app',
      'crash',
      '--batch-interval',
      '200ms',
      '--checkpoint-dir',
      checkpointDir,
      '--batch-log',
      join(dir, `batches-${i}.jsonl`),
      '--http',
      `127.0.0.1:${0}`,
    ];
    let selfKills = 0;
    for (let i = 0; i < KILLS; i++) {
      const state = await log.state().catch(() => ({ latest: undefined, latestCommitted: true }));
      pendingBefore.push(
        state.latest && !state.latestCommitted ? state.latest.ranges[`kafka:${topic}`] : undefined,
      );
      const port = await freePort();
      const args = agentArgs(i);
      args[args.length - 1] = `127.0.0.1:${port}`;
      const agent = startAgent(args, { ...env, CRASH_AFTER_COMMIT: i % 3 === 0 ? '0.3' : '0' });
      const lifetime = 1200 + Math.floor(Math.random() * 2800);
      const ended = await Promise.race([
        agent.exited.then(() => 'self'),
        new Promise((r) => setTimeout(() => r('timer'), lifetime)),
      ]);
      if (ended === 'self') selfKills++;
      else agent.child.kill('SIGKILL');
      const exit = await agent.exited;
      expect(exit.signal, agent.output()).toBe('SIGKILL');
    }
    producing = false;
    await producerLoop;
    await producer.disconnect();

    // The final clean run drains everything, then stops on SIGTERM.
    const port = await freePort();
    const args = agentArgs(KILLS);
    args[args.length - 1] = `127.0.0.1:${port}`;
    const state = await log.state();
    pendingBefore.push(
      state.latest && !state.latestCommitted ? state.latest.ranges[`kafka:${topic}`] : undefined,
    );
    const final = startAgent(args, { ...env, CRASH_AFTER_COMMIT: '0' });
    const admin = newKafka('crash-admin').admin();
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
    await admin.disconnect();
    await waitFor(
      () => {
        void pgClient
          .query('SELECT partition, until_offset FROM crash_offsets WHERE app = $1', [env.SINK_APP])
          .then(({ rows }) => {
            stored = new Map(rows.map((r) => [r.partition as number, Number(r.until_offset)]));
          });
        return [...ends].every(([p, end]) => stored.get(p) === end);
      },
      120_000,
      'the final run to reach the end of every partition',
    );
    final.child.kill('SIGTERM');
    expect((await final.exited).code, final.output()).toBe(0);

    const { rows } = await pgClient.query(`SELECT key, total, count FROM ${table}`);
    const got: Record<string, { total: number; count: number }> = Object.fromEntries(
      rows.map((r) => [r.key, { total: Number(r.total), count: Number(r.count) }]),
    );
    expect(got).toEqual(Object.fromEntries(produced));
    expect(Object.values(got).reduce((n, v) => n + v.count, 0)).toBe(sent);

    // Seed 003: after a crash the first batch is exactly the last uncommitted one.
    let checked = 0;
    for (let i = 0; i <= KILLS; i++) {
      const pending = pendingBefore[i];
      if (!pending) continue;
      const text = await readFile(join(dir, `batches-${i}.jsonl`), 'utf8').catch(() => '');
      const first = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((b) => b.inputs[0].offsetRanges.length > 0);
      if (!first) continue;
      expect(first.inputs[0].offsetRanges, `run ${i}`).toEqual(pending);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(3);
    console.log(
      `crash test: ${sent} records, ${KILLS} kills (${selfKills} right after a sink commit), ${checked} replays checked`,
    );
  });
});

let stored = new Map<number, number>();
