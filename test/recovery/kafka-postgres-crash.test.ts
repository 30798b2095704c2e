/**
 * Exactly-once under real crashes: the agent runs as a child process summing Kafka records into
 * PostgreSQL through the transactional sink, and is killed with SIGKILL at random moments 20
 * times (planning, fetching, mid-batch, and on purpose right after a sink commit) while a
 * producer keeps producing. After a final clean run, the sums and counts in PostgreSQL must
 * equal what was produced: zero lost, zero duplicated. Also checks the replay rule (docs/kafka.md): after a
 * crash, the batches planned but not committed run again first, with exactly their ranges.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OffsetRange } from '../../src/index.js';
import { OffsetLog } from '../../src/state/offset-log.js';
import { freePort, startAgent, untilRunning } from '../support/agent-process.js';
import { connectedPgClient } from '../support/connected-pg-client.js';
import { crashLoop } from '../support/crash-loop.js';
import { startKeyedProducer } from '../support/keyed-producer.js';
import { createSumsTable, readSums, waitForSinkAtEnd } from '../support/pg-sums.js';
import { runArgs } from '../support/run-args.js';
import { createTopic, requireKafka, requirePostgres, uniqueTopic } from '../support/services.js';
import { sumToPostgresEnv } from '../support/sum-to-postgres-env.js';

const hasServices = (await requirePostgres()) && (await requireKafka());
const JOB = fileURLToPath(new URL('./fixtures/sum-to-postgres.ts', import.meta.url));
const KILLS = 20;

describe.runIf(hasServices)('kill -9 with the PostgreSQL transactional sink', () => {
  const pgClient = connectedPgClient();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-crash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`loses nothing and duplicates nothing over ${KILLS} kills`, { timeout: 600_000 }, async () => {
    const topic = await createTopic(uniqueTopic('crash-pg'), 3);
    const table = await createSumsTable(pgClient, 'crash_sums');
    const checkpointDir = join(dir, 'checkpoint');
    const env = sumToPostgresEnv({
      topic,
      table,
      app: `crash-${topic}`,
      offsetsTable: 'crash_offsets',
      maxRate: 400,
    });

    // A producer that keeps producing through every kill.
    const producer = await startKeyedProducer(topic, { keys: 11 });

    const log = new OffsetLog(join(checkpointDir, 'kafka', 'stream-0'));
    const pendingBefore: (readonly OffsetRange[] | undefined)[] = [];
    const recordPending = async () => {
      // What a restart must replay: the batches planned but never committed, and (with a metadata
      // checkpoint) every batch after the newest checkpoint, committed or not, since the
      // checkpointed state does not include them. Before the first run nothing exists yet.
      const state = await log.state().catch(() => undefined);
      const checkpointTimes = (await readdir(join(checkpointDir, 'checkpoints')).catch(() => []))
        .map((f) => /^checkpoint-(\d+)$/.exec(f)?.[1])
        .filter((t): t is string => t !== undefined)
        .map(Number);
      const newestCheckpoint = checkpointTimes.length > 0 ? Math.max(...checkpointTimes) : undefined;
      const replayed =
        newestCheckpoint === undefined
          ? (state?.pending ?? [])
          : (await log.allPlanned().catch(() => [])).filter((b) => b.batchTime > newestCheckpoint);
      const pending = replayed.flatMap((b) => b.ranges[`kafka:${topic}`] ?? []);
      pendingBefore.push(pending.length > 0 ? pending : undefined);
    };
    const agentArgs = (i: number, http: string) =>
      runArgs({
        job: JOB,
        app: 'crash',
        batchInterval: '200ms',
        checkpointDir,
        batchLog: join(dir, `batches-${i}.jsonl`),
        // On the main thread: the replay-exactness count below needs kills that land between a
        // batch's planning and its sink commit, and with executor workers starting up the kills
        // landed there too rarely (0-3 of 20 in three runs; the totals were exact every time).
        // Executors under kill -9 are covered by kafka-sink-crash and two-agents.
        flags: ['--executors', '0'],
        http,
      });
    const selfKills = await crashLoop({
      kills: KILLS,
      args: agentArgs,
      // 100 ms before each commit (of 200 ms batches): kills land between planning and commit.
      env: (i) => ({ ...env, CRASH_AFTER_COMMIT: i % 3 === 0 ? '0.3' : '0', WRITE_DELAY_MS: '100' }),
      beforeRun: recordPending,
    });
    await producer.stop();

    // The final clean run drains everything, then stops on SIGTERM.
    await recordPending();
    const final = startAgent(agentArgs(KILLS, `127.0.0.1:${await freePort()}`), {
      ...env,
      CRASH_AFTER_COMMIT: '0',
    });
    await waitForSinkAtEnd(pgClient, 'crash_offsets', env.SINK_APP, topic, 120_000);
    await untilRunning(final);
    final.child.kill('SIGTERM');
    expect((await final.exited).code, final.output()).toBe(0);

    const got = await readSums(pgClient, table);
    expect(got).toEqual(Object.fromEntries(producer.produced));
    expect(Object.values(got).reduce((n, v) => n + v.count, 0)).toBe(producer.sent());

    // The replay rule: after a crash the batches to replay run again with exactly their logged ranges,
    // except where the sink had already applied a range (then the partition starts after it).
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
      for (const range of first.inputs[0].offsetRanges as OffsetRange[]) {
        const logged = pending.filter((p) => p.partition === range.partition);
        // Each partition of the first batch starts on a logged boundary: a logged range run again
        // (exactly: same from and until), or right after a logged range the sink had applied.
        // Never at an offset no batch planned (that would be a re-planned, different batch).
        if (logged.length === 0) continue;
        const exact = logged.some(
          (p) => p.fromOffset === range.fromOffset && p.untilOffset === range.untilOffset,
        );
        if (exact) checked++;
        else
          expect(
            logged.flatMap((p) => [p.fromOffset, p.untilOffset]),
            `run ${i}: ${JSON.stringify(range)} vs logged ${JSON.stringify(logged)}`,
          ).toContain(range.fromOffset);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(3);
    console.log(
      `crash test: ${producer.sent()} records, ${KILLS} kills (${selfKills} right after a sink commit), ${checked} replays checked`,
    );
  });
});
