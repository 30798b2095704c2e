/**
 * The short fleet soak CI runs (test/support/fleet-soak.ts; `npm run soak` is the long one), once
 * with the PostgreSQL and once with the Kafka transactional sink: three agents in one consumer
 * group over a 24-partition topic of the 3-broker cluster, a producer running, agents killed with -9, a
 * rolling restart, and one broker killed and another frozen. The sink must end up holding every
 * record of the topic exactly once, the cluster must have kept every record it acknowledged, and
 * no agent may exit on its own. Unclean stops are printed (see the end of the test).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_WAIT_MS, lockKafkaCluster } from '../support/cluster-lock.js';
import type { FleetSink } from '../support/fleet.js';
import { formatSoakReport, runFleetSoak } from '../support/fleet-soak.js';
import { requireKafkaCluster } from '../support/kafka-cluster.js';
import { requirePostgres } from '../support/services.js';

const hasServices = (await requireKafkaCluster()) && (await requirePostgres());

describe.runIf(hasServices)('a fleet under kill -9, a rolling restart and broker faults', () => {
  let dir: string;
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    release = await lockKafkaCluster('test/faults/fleet-soak.test.ts');
    dir = await mkdtemp(join(tmpdir(), 'ss-fleet-'));
  }, LOCK_WAIT_MS);
  afterAll(async () => {
    await release?.();
    if (process.env.KEEP_FLEET_DIR) return;
    await rm(dir, { recursive: true, force: true });
  });

  const sinks: { sink: FleetSink; what: string }[] = [
    { sink: 'postgres', what: 'the PostgreSQL sink holds every record exactly once' },
    { sink: 'kafka', what: 'the Kafka sink writes every record exactly once (read_committed)' },
  ];
  for (const { sink, what } of sinks) {
    it(what, { timeout: 600_000 }, async () => {
      const report = await runFleetSoak({
        sink,
        agents: 3,
        partitions: 24,
        durationMs: 60_000,
        agentKills: 5,
        brokerFaults: 2,
        rollingRestarts: 1,
        dir: join(dir, sink),
        log: (line) => console.log(line),
      });
      console.log(formatSoakReport(report));
      // Enough records to mean something; how many depends on how busy the machine is.
      expect(report.verdict.inputRecords).toBeGreaterThan(1000);
      expect(report.agentKills).toBe(5);
      expect(report.brokerKills + report.brokerFreezes).toBe(2);
      expect(report.rebalanceLines).toBeGreaterThan(0);
      // Exactly once first: a loss or a duplicate is the failure to name when there are several.
      expect({
        lost: report.verdict.lost,
        duplicated: report.verdict.duplicated,
        acknowledgedMissing: report.verdict.acknowledgedMissing,
        inputDuplicates: report.verdict.inputDuplicates,
        details: report.verdict.details,
      }).toEqual({ lost: 0, duplicated: 0, acknowledgedMissing: 0, inputDuplicates: 0, details: [] });
      expect(
        report.unexpectedExits.map((e) => `agent ${e.agent} run ${e.run}: ${e.code ?? e.signal}\n${e.tail}`),
      ).toEqual([]);
      // A rolling restart's SIGTERM once met a plan waiting on Kafka past the shutdown timeout
      // (SS_STOP_TIMEOUT); fixed (docs/faults.md, "Found by the fleet"). Only a SIGTERM before
      // Node has run any of the agent still meets Node's default: printed, not failed on.
      if (report.uncleanStops.length > 0) console.log(`unclean stops: ${report.uncleanStops.join('\n')}`);
    });
  }
});
