/**
 * Scale-out: two agents (real processes) in one consumer group split a topic's partitions;
 * killing one with SIGKILL moves its partitions to the other, which resumes each exactly where
 * the PostgreSQL sink stopped. Totals must equal what was produced: no loss, no duplicate.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompletedBatchRecord } from '../../src/index.js';
import { type AgentProcess, freePort, startAgent } from '../support/agent-process.js';
import { waitForAsync } from '../support/crash-loop.js';
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

async function batches(file: string): Promise<CompletedBatchRecord[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CompletedBatchRecord);
}

/** Partitions in the newest batch of a batch log that planned any. */
async function lastPartitions(file: string): Promise<number[]> {
  const planned = (await batches(file)).filter((b) => b.inputs[0]!.offsetRanges.length > 0);
  return (planned.at(-1)?.inputs[0]!.offsetRanges ?? []).map((r) => r.partition).sort();
}

describe.runIf(hasServices)('two agents in one consumer group', () => {
  const pgClient = newPgClient();
  let dir: string;
  const agents: AgentProcess[] = [];
  beforeAll(async () => {
    await pgClient.connect();
    dir = await mkdtemp(join(tmpdir(), 'ss-two-'));
  });
  afterAll(async () => {
    for (const a of agents) a.child.kill('SIGKILL');
    if (process.env.KEEP_TWO_AGENTS_DIR) return;
    await pgClient.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('split the partitions, and a killed agent’s partitions move to the other exactly once', {
    timeout: 180_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('two-agents'), 4);
    const table = `two_sums_${Date.now()}`;
    await pgClient.query(
      `CREATE TABLE ${table} (key text PRIMARY KEY, total bigint NOT NULL, count bigint NOT NULL)`,
    );
    const env = {
      PG_URL: POSTGRES_URL,
      SINK_APP: `two-${topic}`,
      OFFSETS_TABLE: 'two_offsets',
      SUMS_TABLE: table,
      TOPIC: topic,
      GROUP: `g-${topic}`,
      KAFKA_BROKER: kafkaBrokers()[0]!,
      MAX_RATE: '300',
    };
    const producer = newKafka('two-producer').producer();
    await producer.connect();
    const produced = new Map<string, { total: number; count: number }>();
    let producing = true;
    let sent = 0;
    const producerLoop = (async () => {
      while (producing) {
        const messages = Array.from({ length: 40 }, () => {
          const key = `k${sent % 9}`;
          const value = 1 + (sent % 50);
          sent++;
          const p = produced.get(key) ?? { total: 0, count: 0 };
          produced.set(key, { total: p.total + value, count: p.count + 1 });
          return { key, value: String(value) };
        });
        await producer.send({ topic, messages });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const start = async (name: string) => {
      const log = join(dir, `${name}.jsonl`);
      const agent = startAgent(
        [
          'run',
          JOB,
          '--app',
          name,
          '--batch-interval',
          '250ms',
          '--checkpoint-dir',
          join(dir, `checkpoint-${name}`),
          '--batch-log',
          log,
          '--http',
          `127.0.0.1:${await freePort()}`,
        ],
        env,
      );
      agents.push(agent);
      return { agent, log };
    };
    const a = await start('agent-a');
    const b = await start('agent-b');

    // The group gives each agent a share: disjoint, together all four partitions.
    await waitForAsync(
      async () => {
        const pa = await lastPartitions(a.log);
        const pb = await lastPartitions(b.log);
        return pa.length > 0 && pb.length > 0 && [...pa, ...pb].sort().join() === '0,1,2,3';
      },
      60_000,
      'both agents to own a share of the partitions',
    );

    // Kill A: B must take over every partition.
    a.agent.child.kill('SIGKILL');
    await a.agent.exited;
    await waitForAsync(
      async () => (await lastPartitions(b.log)).join() === '0,1,2,3',
      60_000,
      'B to own all partitions',
    );

    producing = false;
    await producerLoop;
    await producer.disconnect();
    const admin = newKafka('two-admin').admin();
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
    await admin.disconnect();
    await waitForAsync(
      async () => {
        const { rows } = await pgClient.query(
          'SELECT partition, until_offset FROM two_offsets WHERE app = $1',
          [env.SINK_APP],
        );
        const stored = new Map(rows.map((r) => [r.partition as number, Number(r.until_offset)]));
        return [...ends].every(([p, end]) => (stored.get(p) ?? 0) === end);
      },
      60_000,
      'B to drain every partition',
    );
    b.agent.child.kill('SIGTERM');
    expect((await b.agent.exited).code, b.agent.output()).toBe(0);

    const { rows } = await pgClient.query(`SELECT key, total, count FROM ${table}`);
    const got: Record<string, { total: number; count: number }> = Object.fromEntries(
      rows.map((r) => [r.key, { total: Number(r.total), count: Number(r.count) }]),
    );
    const diff = [...produced].flatMap(([k, want]) =>
      got[k]?.count === want.count && got[k]?.total === want.total
        ? []
        : [`${k}: want ${want.count}/${want.total}, got ${got[k]?.count}/${got[k]?.total}`],
    );
    expect(diff, `batch logs in ${dir}`).toEqual([]);
    expect(got).toEqual(Object.fromEntries(produced));
  });
});
