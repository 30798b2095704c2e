/**
 * The long fleet soak (test/support/fleet-soak.ts; CI runs a short one, test/faults/fleet-soak.test.ts):
 *
 *   npm run soak -- --minutes 15 --kills 100
 *   npm run soak -- --minutes 5 --kills 30 --sink kafka --agents 4 --broker-faults 6 --json soak.json
 *
 * Options: --minutes (fault window, default 15), --kills (agent kill -9 over the window, default
 * 100), --broker-faults (one broker at a time, alternating kill -9 and freeze; default one per
 * 90 s), --rolling (rolling restarts; default one per 5 minutes, at least 1), --agents (default 3),
 * --partitions (default 24), --sink postgres|kafka|both (default postgres; both runs one after
 * the other), --executors (per agent; default the agent's own), --dir (default a new temporary
 * directory, kept), --json FILE (the reports as JSON).
 *
 * Needs the 3-broker cluster and PostgreSQL (`scripts/services.sh up`) and a build (`npm run
 * build`: the agents run dist/). Exits 0 when every run was exact (zero lost, zero duplicated,
 * nothing acknowledged missing, no agent exited on its own), 1 otherwise, 2 on bad arguments.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { lockKafkaCluster } from '../test/support/cluster-lock.js';
import type { FleetSink } from '../test/support/fleet.js';
import { type FleetSoakReport, formatSoakReport, runFleetSoak } from '../test/support/fleet-soak.js';
import { probeKafkaCluster } from '../test/support/kafka-cluster.js';
import { numberOption } from './number-option.js';

function usage(message: string): never {
  console.error(`soak: ${message}\nusage: npm run soak -- [--minutes N] [--kills N] [--broker-faults N] [--rolling N]
       [--agents N] [--partitions N] [--sink postgres|kafka|both] [--executors N] [--dir DIR] [--json FILE]`);
  process.exit(2);
}

const whole = (value: string | undefined, name: string, fallback: number, min = 0) =>
  numberOption(value, name, fallback, min, usage);

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    kills: { type: 'string' },
    'broker-faults': { type: 'string' },
    rolling: { type: 'string' },
    agents: { type: 'string' },
    partitions: { type: 'string' },
    sink: { type: 'string' },
    executors: { type: 'string' },
    dir: { type: 'string' },
    json: { type: 'string' },
  },
  strict: true,
});

const minutes = whole(values.minutes, 'minutes', 15, 0.5);
const durationMs = Math.round(minutes * 60_000);
const sinkArg = values.sink ?? 'postgres';
if (!['postgres', 'kafka', 'both'].includes(sinkArg))
  usage(`--sink must be postgres, kafka or both, not '${sinkArg}'`);
const sinks: FleetSink[] = sinkArg === 'both' ? ['postgres', 'kafka'] : [sinkArg as FleetSink];
const executors = values.executors === undefined ? undefined : whole(values.executors, 'executors', 0);

// A broker the previous soak or drill restarted may still be joining: ask for up to a minute.
for (const deadline = Date.now() + 60_000; ; ) {
  try {
    await probeKafkaCluster();
    break;
  } catch (error) {
    if (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      continue;
    }
    console.error(
      `soak: the 3-broker Kafka cluster does not answer (${error instanceof Error ? error.message : error}); start it with scripts/services.sh up kafka-cluster`,
    );
    process.exit(1);
  }
}

const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'sidestream-soak-')));
// Its broker faults must not meet a test's (test/support/cluster-lock.ts).
console.log('soak: waiting until no test uses the Kafka cluster');
const release = await lockKafkaCluster('npm run soak');
const reports: FleetSoakReport[] = [];
for (const sink of sinks) {
  const report = await runFleetSoak({
    sink,
    agents: whole(values.agents, 'agents', 3, 1),
    partitions: whole(values.partitions, 'partitions', 24, 1),
    durationMs,
    agentKills: whole(values.kills, 'kills', 100),
    brokerFaults: whole(
      values['broker-faults'],
      'broker-faults',
      Math.max(1, Math.round(durationMs / 90_000)),
    ),
    rollingRestarts: whole(values.rolling, 'rolling', Math.max(1, Math.round(minutes / 5))),
    dir: join(dir, sink),
    log: (line) => console.log(line),
    ...(executors === undefined ? {} : { executors }),
  });
  reports.push(report);
  console.log(formatSoakReport(report));
}
await release();
if (values.json) await writeFile(values.json, `${JSON.stringify(reports, null, 2)}\n`);
console.log(`agent outputs and batch logs: ${dir}`);
process.exit(reports.every((r) => r.ok) ? 0 : 1);
