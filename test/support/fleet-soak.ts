/**
 * The fleet soak: a fleet (fleet.ts) of agents over a 24-partition topic of the 3-broker cluster,
 * a producer running throughout, and faults spread over a time window: kill -9 of a random agent
 * (restarted after 0-3 s, sometimes before the group noticed, sometimes after), rolling restarts
 * (SIGTERM and start each agent in turn, waiting for the group to settle), and faults of one
 * broker at a time (kill -9 then restart on its log dir, or freeze with SIGSTOP for 3-12 s then
 * thaw, around the 9 s broker session timeout), each waiting until the node is back in the ISR.
 * Then the producer stops, the sink drains, the agents stop cleanly and the outcome is checked
 * exactly: zero lost, zero duplicated, nothing acknowledged missing from the topic, no agent
 * exited on its own. The report also gives the rebalances the agents logged and how long the
 * group took to settle after each agent fault.
 *
 * Used by test/faults/fleet-soak.test.ts (a short run in CI) and scripts/soak.ts
 * (`npm run soak -- --minutes 15 --kills 100`). Free of vitest.
 */
import { logLevel } from 'kafkajs';
import {
  freezeBroker,
  killBroker,
  restartBroker,
  startBrokers,
  thawBroker,
  waitForBrokerInIsr,
} from './cluster-brokers.js';
import { Fleet, type FleetSink, type FleetVerdict, type UnexpectedExit } from './fleet.js';
import { startFleetProducer } from './fleet-producer.js';
import { CLUSTER_NODE_IDS, newClusterKafka } from './kafka-cluster.js';

export interface FleetSoakOptions {
  readonly sink: FleetSink;
  readonly agents: number;
  readonly partitions: number;
  /** How long faults are injected, ms (the drain and the checks come after). */
  readonly durationMs: number;
  /** kill -9 of agents, spread over the window. */
  readonly agentKills: number;
  /** Broker faults, one at a time, alternating kill -9 and freeze, spread over the window. */
  readonly brokerFaults: number;
  /** Rolling restarts of the whole fleet, spread over the window. */
  readonly rollingRestarts: number;
  /** Where checkpoints and agent outputs go. */
  readonly dir: string;
  /** Progress lines; default none. */
  readonly log?: (line: string) => void;
  /** Records per send and the pause between sends; default 48 every 100 ms (about 400/s). */
  readonly produce?: { readonly perSend: number; readonly pauseMs: number };
  /** --executors of each agent; default the agent's own. */
  readonly executors?: number;
}

export interface SettleTimes {
  /** Agent faults after which the group settled before the next fault. */
  readonly count: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly maxMs: number;
  /** Faults followed by another before the group had settled (not in the times above). */
  readonly overlapped: number;
  /** Faults after which the group did not settle within 120 s. */
  readonly timedOut: number;
}

export interface FleetSoakReport {
  readonly sink: FleetSink;
  readonly agents: number;
  readonly partitions: number;
  readonly topic: string;
  readonly faultWindowMs: number;
  readonly totalMs: number;
  readonly agentKills: number;
  readonly agentCleanRestarts: number;
  readonly rollingRestarts: number;
  readonly brokerKills: number;
  readonly brokerFreezes: number;
  readonly rebalanceLines: number;
  readonly settle: SettleTimes;
  readonly producer: {
    readonly attempted: number;
    readonly acknowledged: number;
    readonly failedSends: number;
    readonly failedRecords: number;
    readonly failureExamples: readonly string[];
  };
  readonly unexpectedExits: readonly UnexpectedExit[];
  readonly uncleanStops: readonly string[];
  readonly verdict: FleetVerdict;
  /** Zero lost, zero duplicated, nothing acknowledged missing, no unexpected exit or unclean stop. */
  readonly ok: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const randomBetween = (min: number, max: number) => min + Math.random() * (max - min);

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** Times spread evenly over `window` ms, each moved by up to 40% of its slot at random. */
function spread(count: number, window: number): number[] {
  const slot = window / Math.max(1, count);
  return Array.from({ length: count }, (_, i) => Math.max(0, (i + 0.5 + randomBetween(-0.4, 0.4)) * slot));
}

export async function runFleetSoak(options: FleetSoakOptions): Promise<FleetSoakReport> {
  const log = options.log ?? (() => {});
  const began = Date.now();
  const fleet = await Fleet.create({
    name: `soak-${options.sink}`,
    agents: options.agents,
    partitions: options.partitions,
    sink: options.sink,
    dir: options.dir,
    ...(options.executors === undefined ? {} : { executors: options.executors }),
  });
  const stamp = () => `+${((Date.now() - began) / 1000).toFixed(1)}s`;
  const say = (line: string) => log(`[soak ${options.sink} ${stamp()}] ${line}`);
  say(
    `topic ${fleet.topic} (${options.partitions} partitions), ${options.agents} agents, dir ${options.dir}`,
  );

  // Quiet: failed sends are counted and reported, kafkajs' own error lines would only be noise.
  const producer = await startFleetProducer(
    newClusterKafka('fleet-producer', { logLevel: logLevel.NOTHING }),
    fleet.topic,
    {
      partitions: options.partitions,
      keys: 4 * options.partitions,
      perSend: options.produce?.perSend ?? 48,
      pauseMs: options.produce?.pauseMs ?? 100,
    },
  );

  const settled: number[] = [];
  let overlapped = 0;
  let timedOut = 0;
  let faultEpoch = 0;
  const watchers: Promise<void>[] = [];
  /** After an agent fault: how long until the group settles, unless another fault comes first. */
  const watchSettle = (from: number) => {
    const epoch = ++faultEpoch;
    watchers.push(
      (async () => {
        const deadline = from + 120_000;
        await sleep(200); // let the group notice before asking whether it is settled
        while (!fleet.isStable()) {
          if (Date.now() > deadline) {
            timedOut++;
            return;
          }
          await sleep(100);
        }
        if (epoch === faultEpoch) settled.push(Date.now() - from);
        else overlapped++;
      })(),
    );
  };

  // Agents the harness holds down on purpose; any other agent that is not running exited on its
  // own (recorded by the fleet) and is started again, as a supervisor would.
  const heldDown = new Set<number>();
  let stopping = false;
  let supervisor: Promise<void> = Promise.resolve();
  const supervise = async () => {
    while (!stopping) {
      for (let i = 0; i < fleet.size; i++) {
        if (!heldDown.has(i) && !fleet.isRunning(i)) {
          say(`agent ${i} is not running and was not stopped by the soak: starting it again`);
          await fleet.startAgent(i);
        }
      }
      await sleep(500);
    }
  };

  try {
    for (let i = 0; i < fleet.size; i++) await fleet.startAgent(i);
    supervisor = supervise();
    const firstSettle = await fleet.waitStable(120_000);
    say(`fleet settled in ${firstSettle} ms: ${JSON.stringify(fleet.ownership())}`);

    const windowStart = Date.now();
    const at = (t: number) => sleep(Math.max(0, windowStart + t - Date.now()));
    let agentKills = 0;
    let cleanRestarts = 0;
    let rolling = 0;
    let brokerKills = 0;
    let brokerFreezes = 0;
    const fleetTopics = [
      fleet.topic,
      ...(fleet.outTopic ? [fleet.outTopic] : []),
      '__consumer_offsets',
      '__transaction_state',
    ];

    // Broker faults run beside the agent faults, one node at a time.
    const brokerLoop = (async () => {
      const times = spread(options.brokerFaults, options.durationMs);
      let node = Math.floor(Math.random() * CLUSTER_NODE_IDS.length);
      for (const [n, t] of times.entries()) {
        await at(t);
        const id = CLUSTER_NODE_IDS[node++ % CLUSTER_NODE_IDS.length] ?? 1;
        if (n % 2 === 0) {
          say(`kill -9 broker ${id}`);
          await killBroker(id);
          brokerKills++;
          await sleep(randomBetween(2000, 8000));
          await restartBroker(id, { topics: fleetTopics });
          say(`broker ${id} restarted and back in the ISR`);
        } else {
          const frozenFor = randomBetween(3000, 12_000);
          say(`freeze broker ${id} for ${(frozenFor / 1000).toFixed(1)} s`);
          await freezeBroker(id);
          brokerFreezes++;
          await sleep(frozenFor);
          await thawBroker(id);
          await waitForBrokerInIsr(id, { topics: fleetTopics });
          say(`broker ${id} thawed and back in the ISR`);
        }
      }
    })();

    type AgentFault = { t: number; kind: 'kill' | 'rolling' };
    const faults: AgentFault[] = [
      ...spread(options.agentKills, options.durationMs).map((t) => ({ t, kind: 'kill' as const })),
      ...Array.from({ length: options.rollingRestarts }, (_, j) => ({
        t: ((j + 1) * options.durationMs) / (options.rollingRestarts + 1),
        kind: 'rolling' as const,
      })),
    ].sort((a, b) => a.t - b.t);
    for (const fault of faults) {
      await at(fault.t);
      if (fault.kind === 'kill') {
        const running = Array.from({ length: fleet.size }, (_, i) => i).filter((i) => fleet.isRunning(i));
        const victim = running[Math.floor(Math.random() * running.length)];
        if (victim === undefined) continue;
        heldDown.add(victim);
        const owned = fleet.ownership()[victim]?.length ?? 0;
        const from = Date.now();
        await fleet.killAgent(victim);
        agentKills++;
        const downFor = randomBetween(0, 3000);
        say(`kill -9 agent ${victim} (owned ${owned} partitions); restarting in ${Math.round(downFor)} ms`);
        watchSettle(from);
        await sleep(downFor);
        await fleet.startAgent(victim);
        heldDown.delete(victim);
      } else {
        say('rolling restart');
        rolling++;
        for (let i = 0; i < fleet.size; i++) {
          heldDown.add(i);
          const from = Date.now();
          await fleet.stopAgent(i);
          await fleet.startAgent(i);
          heldDown.delete(i);
          cleanRestarts++;
          watchSettle(from);
          await fleet.waitStable(120_000).catch(() => {});
        }
        say('rolling restart done');
      }
    }
    await at(options.durationMs);
    say('fault window over; waiting for the broker fault in progress');
    await brokerLoop;
    await Promise.all(watchers);
    await producer.stop();
    say(
      `producer stopped: ${producer.acknowledged().length} records acknowledged, ${producer.failures().count} failed sends`,
    );
    stopping = true;
    await supervisor;
    await startBrokers();
    const drainFrom = Date.now();
    await fleet.drain(240_000);
    say(`drained in ${Date.now() - drainFrom} ms`);
    await fleet.stopAll();
    const verdict = await fleet.verify(producer.acknowledged());
    const sorted = [...settled].sort((a, b) => a - b);
    const report: FleetSoakReport = {
      sink: options.sink,
      agents: options.agents,
      partitions: options.partitions,
      topic: fleet.topic,
      faultWindowMs: options.durationMs,
      totalMs: Date.now() - began,
      agentKills,
      agentCleanRestarts: cleanRestarts,
      rollingRestarts: rolling,
      brokerKills,
      brokerFreezes,
      rebalanceLines: fleet.rebalanceLines().length,
      settle: {
        count: sorted.length,
        medianMs: percentile(sorted, 0.5),
        p90Ms: percentile(sorted, 0.9),
        maxMs: sorted.at(-1) ?? 0,
        overlapped,
        timedOut,
      },
      producer: {
        attempted: producer.attempted(),
        acknowledged: producer.acknowledged().length,
        failedSends: producer.failures().count,
        failedRecords: producer.failedRecords(),
        failureExamples: producer.failures().examples,
      },
      unexpectedExits: fleet.unexpectedExits(),
      uncleanStops: fleet.uncleanStopList(),
      verdict,
      ok:
        verdict.lost === 0 &&
        verdict.duplicated === 0 &&
        verdict.acknowledgedMissing === 0 &&
        verdict.inputDuplicates === 0 &&
        fleet.unexpectedExits().length === 0 &&
        fleet.uncleanStopList().length === 0,
    };
    return report;
  } finally {
    stopping = true;
    await producer.stop().catch(() => {});
    await supervisor.catch(() => {});
    await fleet.close();
  }
}

/** The report as lines for people. */
export function formatSoakReport(r: FleetSoakReport): string {
  const s = r.settle;
  const lines = [
    `fleet soak, ${r.sink} sink: ${r.ok ? 'OK' : 'FAILED'}`,
    `  ${r.agents} agents, ${r.partitions} partitions (${r.topic}); faults for ${(r.faultWindowMs / 1000).toFixed(0)} s, ${(r.totalMs / 1000).toFixed(0)} s in all`,
    `  faults: ${r.agentKills} agent kill -9, ${r.rollingRestarts} rolling restarts (${r.agentCleanRestarts} clean agent restarts), ${r.brokerKills} broker kill -9, ${r.brokerFreezes} broker freezes`,
    `  records: ${r.verdict.inputRecords} in the topic; producer ${r.producer.acknowledged} acknowledged, ${r.producer.failedSends} failed sends (${r.producer.failedRecords} records maybe written)`,
    `  outcome: ${r.verdict.lost} lost, ${r.verdict.duplicated} duplicated, ${r.verdict.acknowledgedMissing} acknowledged but missing, ${r.verdict.inputDuplicates} duplicated in the input`,
    `  rebalances logged by the agents: ${r.rebalanceLines}`,
    `  group settled after an agent fault: median ${s.medianMs} ms, p90 ${s.p90Ms} ms, max ${s.maxMs} ms over ${s.count} faults (${s.overlapped} overlapped by the next fault, ${s.timedOut} did not settle in 120 s)`,
    `  agents that exited on their own: ${r.unexpectedExits.length}; unclean stops: ${r.uncleanStops.length}`,
  ];
  for (const d of r.verdict.details) lines.push(`    ${d}`);
  for (const e of r.unexpectedExits) {
    lines.push(
      `    agent ${e.agent} run ${e.run} exited with ${e.code ?? e.signal}:`,
      ...e.tail.split('\n').map((l) => `      ${l}`),
    );
  }
  for (const u of r.uncleanStops) lines.push(`    ${u}`);
  for (const f of r.producer.failureExamples) lines.push(`    producer: ${f}`);
  return lines.join('\n');
}
