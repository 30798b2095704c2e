/**
 * The restart gap after kill -9, with kafkajs' default group timing (30 s sessions): a real agent
 * sums a topic into PostgreSQL while a producer keeps producing, is killed with SIGKILL mid-stream
 * and started again at once on the same checkpoint directory. The group still counts the dead
 * process as a member until its session expires; the restarted agent rejoins as that member
 * (src/sources/kafka/group-member-id.ts) instead of waiting it out, so the first batch holding
 * records the killed agent never even planned must arrive within two batch intervals of the
 * agent having started (its start-up). Exactly-once totals hold across the kill.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompletedBatchRecord } from '../../src/index.js';
import { OffsetLog } from '../../src/state/offset-log.js';
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
const INTERVAL_MS = 1000;

async function batches(file: string): Promise<CompletedBatchRecord[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CompletedBatchRecord);
}

/** Resolves with the time the agent printed that it is running (its start-up is over). */
function runningAt(agent: AgentProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const seen = () => {
      if (/app \S+ running: batch interval/.test(agent.output())) {
        resolve(Date.now());
        return true;
      }
      return false;
    };
    if (seen()) return;
    const onData = () => {
      if (seen()) agent.child.stdout?.off('data', onData);
    };
    agent.child.stdout?.on('data', onData);
    agent.child.stderr?.on('data', onData);
    void agent.exited.then(() => reject(new Error(`the agent exited before running:\n${agent.output()}`)));
  });
}

describe.runIf(hasServices)('the restart gap after kill -9', () => {
  const pgClient = connectedPgClient();
  let dir: string;
  const agents: AgentProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-gap-'));
  });
  afterAll(async () => {
    for (const a of agents) a.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('a restarted agent reads new records within two batch intervals of starting, with 30 s sessions; totals exact', {
    timeout: 180_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('restart-gap'), 3);
    const table = await createSumsTable(pgClient, 'gap_sums');
    const env = {
      ...sumToPostgresEnv({ topic, table, app: `gap-${topic}`, offsetsTable: 'gap_offsets', maxRate: 0 }),
      KAFKA_CONSUMER_DEFAULTS: '1',
    };
    const checkpointDir = join(dir, 'checkpoint');
    const start = async (name: string) => {
      const agent = startAgent(
        runArgs({
          job: JOB,
          app: 'gap',
          batchInterval: `${INTERVAL_MS}ms`,
          checkpointDir,
          batchLog: join(dir, `${name}.jsonl`),
          http: `127.0.0.1:${await freePort()}`,
        }),
        env,
      );
      agents.push(agent);
      return agent;
    };
    const producer = await startKeyedProducer(topic, { keys: 7, perSend: 20, pauseMs: 50 });

    const first = await start('first');
    await waitForAsync(
      async () => (await batches(join(dir, 'first.jsonl'))).filter((b) => b.numRecords > 0).length >= 3,
      60_000,
      'the first agent to process records',
    );
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // Everything the killed agent planned (and so may have output, or replays): beyond it is new.
    const planned = new Map<number, number>();
    for (const b of await new OffsetLog(join(checkpointDir, 'kafka', 'stream-0')).allPlanned())
      for (const r of b.ranges[`kafka:${topic}`] ?? [])
        planned.set(r.partition, Math.max(planned.get(r.partition) ?? 0, r.untilOffset));

    const spawnedAt = Date.now();
    const second = await start('second');
    const startedAt = await runningAt(second);
    const log = join(dir, 'second.jsonl');
    const holdsNew = (b: CompletedBatchRecord) =>
      b.inputs[0]!.offsetRanges.some((r) => r.untilOffset > (planned.get(r.partition) ?? 0));
    await waitForAsync(async () => (await batches(log)).some(holdsNew), 60_000, 'a batch with new records');
    const firstNew = (await batches(log)).find(holdsNew)!;
    const gapMs = firstNew.submissionTime - startedAt;
    console.log(
      `restart gap: start-up ${startedAt - spawnedAt} ms; the first batch with new records (batch ${firstNew.batchTime}) ` +
        `arrived ${gapMs} ms after start-up and was done ${firstNew.processingEndTime - startedAt} ms after it ` +
        `(batch interval ${INTERVAL_MS} ms, session timeout 30 s)`,
    );
    expect(gapMs, second.output()).toBeLessThanOrEqual(2 * INTERVAL_MS);

    await producer.stop();
    await waitForSinkAtEnd(pgClient, 'gap_offsets', env.SINK_APP, topic, 60_000);
    second.child.kill('SIGTERM');
    expect((await second.exited).code, second.output()).toBe(0);
    const got = await readSums(pgClient, table);
    expect(got).toEqual(Object.fromEntries(producer.produced));
  });
});
