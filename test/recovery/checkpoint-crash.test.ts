/**
 * Metadata checkpoints under real crashes: an agent child process keeps running totals per key
 * (updateStateByKey) over a direct Kafka stream and writes them to a file every batch. It is
 * killed with SIGKILL at random moments (some on purpose right after a batch committed its
 * offsets and before its checkpoint), restarted each time, and recovers its state from the
 * checkpoint directory. After a final clean run has drained the topic, the totals must equal
 * what was produced: nothing lost, nothing counted twice.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startAgent, untilRunning } from '../support/agent-process.js';
import { crashLoop, waitForAsync } from '../support/crash-loop.js';
import { startKeyedProducer, type Totals } from '../support/keyed-producer.js';
import { runArgs } from '../support/run-args.js';
import { createTopic, kafkaBrokers, requireKafka, uniqueTopic } from '../support/services.js';

const hasKafka = await requireKafka();
const JOB = fileURLToPath(new URL('./fixtures/state-totals.ts', import.meta.url));
const KILLS = 12;

async function readTotals(file: string): Promise<Record<string, Totals>> {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { totals: Record<string, Totals> }).totals;
  } catch {
    return {};
  }
}

describe.runIf(hasKafka)('kill -9 with state recovered from metadata checkpoints', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-ckpt-crash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`updateStateByKey totals are exact after ${KILLS} kills`, { timeout: 600_000 }, async () => {
    const topic = await createTopic(uniqueTopic('ckpt-crash'), 3);
    const checkpointDir = join(dir, 'checkpoint');
    const totalsFile = join(dir, 'totals.json');
    const env = {
      TOPIC: topic,
      GROUP: `g-${topic}`,
      KAFKA_BROKER: kafkaBrokers()[0]!,
      MAX_RATE: '300',
      TOTALS_FILE: totalsFile,
    };
    const producer = await startKeyedProducer(topic, { keys: 11 });
    const agentArgs = (i: number, http: string) =>
      runArgs({
        job: JOB,
        app: 'ckpt-crash',
        batchInterval: '200ms',
        checkpointDir,
        batchLog: join(dir, `batches-${i}.jsonl`),
        http,
      });
    const outputs: string[] = [];
    const selfKills = await crashLoop({
      kills: KILLS,
      args: agentArgs,
      env: (i) => ({ ...env, CRASH_AFTER_COMMIT: i % 3 === 1 ? '0.2' : '0' }),
      minLifetimeMs: 1500,
      maxLifetimeMs: 4500,
      onExit: (_i, output) => outputs.push(output),
    });
    await producer.stop();

    const final = startAgent(agentArgs(KILLS, `127.0.0.1:${await freePort()}`), {
      ...env,
      CRASH_AFTER_COMMIT: '0',
    });
    const sent = producer.sent();
    const counted = async () => Object.values(await readTotals(totalsFile)).reduce((n, t) => n + t.count, 0);
    await waitForAsync(async () => (await counted()) >= sent, 180_000, `${sent} records counted`).catch(
      async (error) => {
        throw new Error(`${(error as Error).message} (counted ${await counted()}):\n${final.output()}`);
      },
    );
    await untilRunning(final);
    final.child.kill('SIGTERM');
    expect((await final.exited).code, final.output()).toBe(0);

    expect(await readTotals(totalsFile)).toEqual(Object.fromEntries(producer.produced));
    // Every restart after the first checkpoint recovered from one and said so.
    const recovered = [...outputs, final.output()].filter((o) => /recovered from checkpoint \d+: /.test(o));
    expect(recovered.length).toBeGreaterThanOrEqual(KILLS - 2);
    expect(final.output()).toMatch(
      /recovered from checkpoint \d+: \d+ pending batches, \d+ down-time batches, state of 1 streams restored/,
    );
    console.log(
      `checkpoint crash test: ${sent} records, ${KILLS} kills (${selfKills} between commit and checkpoint), ${recovered.length} recoveries`,
    );
  });
});
