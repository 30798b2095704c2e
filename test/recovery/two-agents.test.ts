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
import { connectedPgClient } from '../support/connected-pg-client.js';
import { waitForAsync } from '../support/crash-loop.js';
import { startKeyedProducer } from '../support/keyed-producer.js';
import { createSumsTable, readSums, waitForSinkAtEnd } from '../support/pg-sums.js';
import { runArgs } from '../support/run-args.js';
import { createTopic, requireKafka, requirePostgres, uniqueTopic } from '../support/services.js';
import { sumToPostgresEnv } from '../support/sum-to-postgres-env.js';

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
  return (planned.at(-1)?.inputs[0]?.offsetRanges ?? []).map((r) => r.partition).sort();
}

describe.runIf(hasServices)('two agents in one consumer group', () => {
  const pgClient = connectedPgClient();
  let dir: string;
  const agents: AgentProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-two-'));
  });
  afterAll(async () => {
    for (const a of agents) a.child.kill('SIGKILL');
    if (process.env.KEEP_TWO_AGENTS_DIR) return;
    await rm(dir, { recursive: true, force: true });
  });

  it('split the partitions, and a killed agent’s partitions move to the other exactly once', {
    timeout: 180_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('two-agents'), 4);
    const table = await createSumsTable(pgClient, 'two_sums');
    const env = sumToPostgresEnv({
      topic,
      table,
      app: `two-${topic}`,
      offsetsTable: 'two_offsets',
      maxRate: 300,
    });
    const producer = await startKeyedProducer(topic, {
      keys: 9,
      pauseMs: 50,
      value: (seq) => 1 + (seq % 50),
    });

    const start = async (name: string) => {
      const log = join(dir, `${name}.jsonl`);
      const agent = startAgent(
        runArgs({
          job: JOB,
          app: name,
          batchInterval: '250ms',
          checkpointDir: join(dir, `checkpoint-${name}`),
          batchLog: log,
          http: `127.0.0.1:${await freePort()}`,
        }),
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

    await producer.stop();
    await waitForSinkAtEnd(pgClient, 'two_offsets', env.SINK_APP, topic, 60_000);
    b.agent.child.kill('SIGTERM');
    expect((await b.agent.exited).code, b.agent.output()).toBe(0);

    const got = await readSums(pgClient, table);
    const diff = [...producer.produced].flatMap(([k, want]) =>
      got[k]?.count === want.count && got[k]?.total === want.total
        ? []
        : [`${k}: want ${want.count}/${want.total}, got ${got[k]?.count}/${got[k]?.total}`],
    );
    expect(diff, `batch logs in ${dir}`).toEqual([]);
  });
});
