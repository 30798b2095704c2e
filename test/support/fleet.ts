/**
 * A fleet: N agents (real `sidestream run` processes) in one consumer group over one topic of the
 * 3-broker cluster (kafka-cluster.ts), each writing through a transactional sink: PostgreSQL
 * (test/recovery/fixtures/sum-to-postgres.ts, sums per key) or Kafka
 * (test/recovery/fixtures/copy-to-kafka.ts, a copy of every record). It starts, kills (-9), stops
 * and restarts agents; follows which partitions each agent owns from the rebalance lines of its
 * JSON log; says when the group is stable; drains the sink at the end; and checks the outcome
 * exactly against the input topic read back: zero lost, zero duplicated.
 *
 * Each agent keeps its own checkpoint directory across its runs (as a deployed agent keeps its
 * disk); each run's output and batch log are kept under the fleet's directory for a post-mortem.
 * An agent that exits without being told to is recorded (an unexpected exit) and left stopped;
 * the caller decides (the soak restarts it, as a supervisor would).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logLevel } from 'kafkajs';
import type pg from 'pg';
import { type AgentProcess, startAgent } from './agent-process.js';
import { clusterBrokers, createClusterTopic, newClusterKafka } from './kafka-cluster.js';
import { createSumsTable, readSums } from './pg-sums.js';
import { runArgs } from './run-args.js';
import { newPgClient, POSTGRES_URL, uniqueTopic } from './services.js';
import { readTopicRecords, type TopicRecord, topicEnds } from './topic-records.js';
import { waitForAsync } from './wait-for-async.js';

const FIXTURES = new URL('../recovery/fixtures/', import.meta.url);
const OFFSETS_TABLE = 'fleet_offsets';

export type FleetSink = 'postgres' | 'kafka';

export interface FleetOptions {
  /** A prefix for the topic, group and table names. */
  readonly name: string;
  readonly agents: number;
  readonly partitions: number;
  readonly sink: FleetSink;
  /** Where checkpoints, outputs and batch logs go. */
  readonly dir: string;
  /** --batch-interval; default 250ms. */
  readonly batchInterval?: string;
  /** Records per second per partition an agent reads at most; default 200. */
  readonly maxRatePerPartition?: number;
  /** --executors; default the agent's own (the machine's cores). */
  readonly executors?: number;
  /** Partitions of the Kafka sink's output topic; default 6. */
  readonly outputPartitions?: number;
}

/** An agent run that ended without being told to. */
export interface UnexpectedExit {
  readonly agent: number;
  readonly run: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last lines of its output. */
  readonly tail: string;
}

/** One rebalance line of one agent's log. */
export interface RebalanceLine {
  readonly at: number;
  readonly agent: number;
  readonly run: number;
  readonly assigned: readonly number[];
  readonly revoked: readonly number[];
}

export interface FleetVerdict {
  /** Records in the input topic (what the sink must hold exactly once). */
  readonly inputRecords: number;
  /** Records the sink is missing. */
  readonly lost: number;
  /** Extra copies the sink holds. */
  readonly duplicated: number;
  /** Input values that appear more than once in the input topic (the producer's doing, not the agents'). */
  readonly inputDuplicates: number;
  /** Records the cluster acknowledged to the producer that are not in the input topic. */
  readonly acknowledgedMissing: number;
  /** What differs, named (the first few). */
  readonly details: readonly string[];
}

/** One run of one agent: a process from its start to its exit. */
interface Run {
  readonly number: number;
  readonly agent: AgentProcess;
  /** How it is expected to end, once it was told to. */
  ending: 'SIGKILL' | 'SIGTERM' | undefined;
  /** Partitions it owns, from its rebalance lines. */
  readonly owned: Set<number>;
  /** When it was spawned (Date.now()). */
  readonly startedAt: number;
}

/**
 * A clean stop is sent no sooner than this after the spawn: until Node has run the agent's entry
 * (about 100-300 ms on a busy machine) nothing can catch a signal, and SIGTERM kills it.
 */
const NODE_BOOTSTRAP_MS = 1000;

interface Member {
  readonly index: number;
  readonly dir: string;
  runs: number;
  /** The run in progress; undefined once it exited (late output of an old run changes nothing). */
  current: Run | undefined;
  /** startAgent is preparing a run (so that nobody starts a second one meanwhile). */
  starting: boolean;
}

/** The partitions of a rebalance line's list: `none`, or `topic-3, topic-7`. */
function partitionsOf(list: string): number[] {
  if (list.trim() === 'none') return [];
  return list.split(',').map((key) => Number(key.trim().slice(key.trim().lastIndexOf('-') + 1)));
}

const REBALANCE = /rebalanced: assigned (.*); revoked (.*)$/;

export class Fleet {
  readonly topic: string;
  readonly group: string;
  readonly app: string;
  /** The Kafka sink's output topic. */
  readonly outTopic: string | undefined;
  /** The PostgreSQL sink's sums table. */
  readonly table: string | undefined;
  private readonly members: Member[];
  private readonly rebalances: RebalanceLine[] = [];
  private readonly unexpected: UnexpectedExit[] = [];
  private readonly uncleanStops: string[] = [];
  private readonly kafka = newClusterKafka('sidestream-fleet', { logLevel: logLevel.NOTHING });

  private constructor(
    private readonly options: FleetOptions,
    names: { topic: string; outTopic?: string; table?: string },
    private readonly pgClient: pg.Client | undefined,
  ) {
    this.topic = names.topic;
    this.outTopic = names.outTopic;
    this.table = names.table;
    this.group = `g-${names.topic}`;
    this.app = `fleet-${names.topic}`;
    this.members = Array.from({ length: options.agents }, (_, index) => ({
      index,
      dir: join(options.dir, `agent-${index}`),
      runs: 0,
      current: undefined,
      starting: false,
    }));
  }

  /** Creates the topic (replication 3), the output topic or the sums table; starts no agent. */
  static async create(options: FleetOptions): Promise<Fleet> {
    const topic = await createClusterTopic(uniqueTopic(`${options.name}-in`), options.partitions);
    if (options.sink === 'kafka') {
      const outTopic = await createClusterTopic(
        uniqueTopic(`${options.name}-out`),
        options.outputPartitions ?? 6,
      );
      return new Fleet(options, { topic, outTopic }, undefined);
    }
    const client = newPgClient();
    await client.connect();
    const table = await createSumsTable(client, `${options.name.replace(/[^a-z0-9_]/gi, '_')}_sums`);
    return new Fleet(options, { topic, table }, client);
  }

  get size(): number {
    return this.members.length;
  }

  /** The environment of the sink fixture. */
  private env(): Record<string, string> {
    const common = {
      TOPIC: this.topic,
      GROUP: this.group,
      KAFKA_BROKERS: clusterBrokers().join(','),
      MAX_RATE: String(this.options.maxRatePerPartition ?? 200),
    };
    if (this.options.sink === 'kafka') return { ...common, OUT_TOPIC: this.outTopic ?? '' };
    return {
      ...common,
      PG_URL: POSTGRES_URL,
      SINK_APP: this.app,
      OFFSETS_TABLE,
      SUMS_TABLE: this.table ?? '',
    };
  }

  private member(index: number): Member {
    const m = this.members[index];
    if (!m) throw new Error(`the fleet has no agent ${index}`);
    return m;
  }

  /** Whether agent `index` runs (or is being started). */
  isRunning(index: number): boolean {
    const m = this.member(index);
    return m.current !== undefined || m.starting;
  }

  /** Starts agent `index` (a new run on its own checkpoint directory). */
  async startAgent(index: number): Promise<void> {
    const m = this.member(index);
    if (m.current || m.starting) throw new Error(`agent ${index} is already running`);
    m.starting = true;
    try {
      await mkdir(m.dir, { recursive: true });
    } finally {
      // From here to `m.current = run` nothing awaits: no one can start a second run meanwhile.
      m.starting = false;
    }
    const number = ++m.runs;
    const job = fileURLToPath(
      new URL(this.options.sink === 'kafka' ? 'copy-to-kafka.ts' : 'sum-to-postgres.ts', FIXTURES),
    );
    const flags = ['--log-format', 'json'];
    if (this.options.executors !== undefined) flags.push('--executors', String(this.options.executors));
    const agent = startAgent(
      runArgs({
        job,
        app: `fleet-${index}`,
        batchInterval: this.options.batchInterval ?? '250ms',
        checkpointDir: join(m.dir, 'checkpoint'),
        batchLog: join(m.dir, `batches-run-${number}.jsonl`),
        flags,
        // Port 0: the fleet never calls the agents' HTTP, and a port picked free beforehand was
        // once taken by another process's connection before the agent bound it.
        http: '127.0.0.1:0',
      }),
      { ...this.env(), CRASH_AFTER_COMMIT: '0' },
    );
    const run: Run = { number, agent, ending: undefined, owned: new Set(), startedAt: Date.now() };
    m.current = run;
    // One line buffer per stream: chunks of stdout and stderr interleave.
    const lines = () => {
      let pending = '';
      return (chunk: Buffer | string) => {
        pending += chunk;
        const complete = pending.split('\n');
        pending = complete.pop() ?? '';
        for (const line of complete) this.onLogLine(index, run, line);
      };
    };
    agent.child.stderr?.on('data', lines());
    agent.child.stdout?.on('data', lines());
    void agent.exited.then(async ({ code, signal }) => {
      if (m.current === run) m.current = undefined;
      if (run.ending === undefined) {
        this.unexpected.push({
          agent: index,
          run: number,
          code,
          signal,
          tail: agent.output().split('\n').slice(-15).join('\n'),
        });
      }
      await writeFile(join(m.dir, `run-${number}.log`), agent.output()).catch(() => {});
    });
  }

  private onLogLine(agent: number, run: Run, line: string): void {
    if (!line.includes('rebalanced:')) return;
    let msg: string;
    try {
      msg = String((JSON.parse(line) as { msg?: unknown }).msg ?? '');
    } catch {
      return;
    }
    const match = REBALANCE.exec(msg);
    if (!match) return;
    const assigned = partitionsOf(match[1] ?? 'none');
    const revoked = partitionsOf(match[2] ?? 'none');
    for (const p of revoked) run.owned.delete(p);
    for (const p of assigned) run.owned.add(p);
    this.rebalances.push({ at: Date.now(), agent, run: run.number, assigned, revoked });
  }

  /** kill -9 agent `index`; resolves once it is gone. */
  async killAgent(index: number): Promise<void> {
    const run = this.member(index).current;
    if (!run) return;
    run.ending = 'SIGKILL';
    run.agent.child.kill('SIGKILL');
    await run.agent.exited;
  }

  /**
   * SIGTERM agent `index` (a clean stop); resolves once it exited. An agent that does not exit
   * within `timeoutMs`, or exits with a non-zero code, is recorded as an unclean stop.
   */
  async stopAgent(index: number, timeoutMs = 60_000): Promise<void> {
    const run = this.member(index).current;
    if (!run) return;
    const agent = run.agent;
    run.ending = 'SIGTERM';
    const young = NODE_BOOTSTRAP_MS - (Date.now() - run.startedAt);
    if (young > 0) await new Promise((resolve) => setTimeout(resolve, young));
    agent.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.uncleanStops.push(
        `agent ${index} run ${run.number}: still running ${timeoutMs} ms after SIGTERM; killed`,
      );
      agent.child.kill('SIGKILL');
    }, timeoutMs);
    const { code, signal } = await agent.exited;
    clearTimeout(timer);
    if (code !== 0 && signal !== 'SIGKILL') {
      this.uncleanStops.push(
        `agent ${index} run ${run.number}: exited with ${code ?? signal} after SIGTERM: ${agent.output().split('\n').slice(-5).join(' | ')}`,
      );
    }
  }

  /** Starts every agent that is not running. */
  async startAll(): Promise<void> {
    for (const m of this.members) if (!m.current) await this.startAgent(m.index);
  }

  /**
   * True when every partition is owned by exactly one running agent and every running agent owns
   * at least one (when there are enough partitions): the group has settled.
   */
  isStable(): boolean {
    const live = this.members.flatMap((m) => (m.current ? [m.current] : []));
    if (live.length === 0) return false;
    const owned = live.flatMap((run) => [...run.owned]);
    if (owned.length !== this.options.partitions || new Set(owned).size !== this.options.partitions)
      return false;
    return live.length > this.options.partitions || live.every((run) => run.owned.size > 0);
  }

  /** Waits until isStable(); resolves with how long that took. */
  async waitStable(timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    await waitForAsync(async () => this.isStable(), timeoutMs, 'the fleet to settle');
    return Date.now() - started;
  }

  /** Partitions each running agent owns now. */
  ownership(): Record<number, number[]> {
    return Object.fromEntries(
      this.members.flatMap((m) => (m.current ? [[m.index, [...m.current.owned].sort((a, b) => a - b)]] : [])),
    );
  }

  rebalanceLines(): readonly RebalanceLine[] {
    return this.rebalances;
  }

  unexpectedExits(): readonly UnexpectedExit[] {
    return this.unexpected;
  }

  uncleanStopList(): readonly string[] {
    return this.uncleanStops;
  }

  /** Whether the sink has everything up to each partition's high watermark (`ends`). */
  private async sinkAtEnd(ends: Map<number, number>): Promise<boolean> {
    if (this.options.sink === 'kafka') {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const [committed] = await admin.fetchOffsets({ groupId: this.group, topics: [this.topic] });
        const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
        return [...ends].every(([p, end]) => end === 0 || at.get(p) === end);
      } finally {
        await admin.disconnect();
      }
    }
    const { rows } = await this.pg().query(
      `SELECT partition, until_offset FROM ${OFFSETS_TABLE} WHERE app = $1 AND topic = $2`,
      [this.app, this.topic],
    );
    const stored = new Map(rows.map((r) => [r.partition as number, Number(r.until_offset)]));
    return [...ends].every(([p, end]) => (stored.get(p) ?? 0) === end);
  }

  private pg(): pg.Client {
    if (!this.pgClient) throw new Error('this fleet has no PostgreSQL sink');
    return this.pgClient;
  }

  /**
   * Starts any stopped agent and waits until the sink holds every record now in the topic (the
   * producer must have stopped).
   */
  async drain(timeoutMs = 180_000): Promise<void> {
    await this.startAll();
    const ends = await topicEnds(this.kafka, this.topic);
    await waitForAsync(
      () => this.sinkAtEnd(ends).catch(() => false),
      timeoutMs,
      `the ${this.options.sink} sink to reach the end of every partition of ${this.topic}`,
    );
  }

  /** SIGTERM every running agent and waits for them. */
  async stopAll(): Promise<void> {
    await Promise.all(this.members.filter((m) => m.current).map((m) => this.stopAgent(m.index)));
  }

  /**
   * Compares the sink with the input topic read back, and the input topic with the records the
   * producer had acknowledged (`acknowledged`). Call after drain().
   */
  async verify(acknowledged: readonly number[] = []): Promise<FleetVerdict> {
    const input = await readTopicRecords(this.kafka, this.topic);
    const inputSeqs = new Map<string, number>();
    for (const r of input) inputSeqs.set(r.value ?? '', (inputSeqs.get(r.value ?? '') ?? 0) + 1);
    const inputDuplicates = [...inputSeqs.values()].filter((n) => n > 1).length;
    const details: string[] = [];
    const acknowledgedMissing = acknowledged.filter((seq) => !inputSeqs.has(String(seq))).length;
    if (acknowledgedMissing > 0) {
      details.push(
        `${acknowledgedMissing} acknowledged records are not in ${this.topic} (the cluster lost them)`,
      );
    }
    let lost = 0;
    let duplicated = 0;
    if (this.options.sink === 'kafka') {
      const output: TopicRecord[] = await readTopicRecords(this.kafka, this.outTopic ?? '');
      const seen = new Map<string, number>();
      for (const r of output) seen.set(r.value ?? '', (seen.get(r.value ?? '') ?? 0) + 1);
      for (const [seq] of inputSeqs) {
        const n = seen.get(seq) ?? 0;
        if (n === 0) {
          lost++;
          if (details.length < 10) details.push(`record ${seq} missing from ${this.outTopic}`);
        } else if (n > 1) {
          duplicated += n - 1;
          if (details.length < 10) details.push(`record ${seq} ${n} times in ${this.outTopic}`);
        }
      }
      for (const [seq, n] of seen) {
        if (!inputSeqs.has(seq)) {
          duplicated += n;
          if (details.length < 10) details.push(`record ${seq} in ${this.outTopic} but not in ${this.topic}`);
        }
      }
    } else {
      const expected = new Map<string, { total: number; count: number }>();
      for (const r of input) {
        const e = expected.get(r.key ?? '') ?? { total: 0, count: 0 };
        expected.set(r.key ?? '', { total: e.total + Number(r.value), count: e.count + 1 });
      }
      const got = await readSums(this.pg(), this.table ?? '');
      for (const key of new Set([...expected.keys(), ...Object.keys(got)])) {
        const want = expected.get(key) ?? { total: 0, count: 0 };
        const have = got[key] ?? { total: 0, count: 0 };
        if (have.count < want.count) lost += want.count - have.count;
        if (have.count > want.count) duplicated += have.count - want.count;
        if ((have.count !== want.count || have.total !== want.total) && details.length < 10) {
          details.push(
            `key ${key}: want ${want.count} records summing ${want.total}, got ${have.count} summing ${have.total}`,
          );
        }
      }
    }
    return { inputRecords: input.length, lost, duplicated, inputDuplicates, acknowledgedMissing, details };
  }

  /** Kills whatever still runs and closes the database client. */
  async close(): Promise<void> {
    await Promise.all(this.members.filter((m) => m.current).map((m) => this.killAgent(m.index)));
    await this.pgClient?.end().catch(() => {});
  }
}
