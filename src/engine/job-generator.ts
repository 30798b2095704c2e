/**
 * JobGenerator: the timer-driven half of module 2. A recurring timer on the injected clock posts
 * a command for every batch time; one event loop handles the closed set of commands in order,
 * so generation, cleanup and stop never interleave. Per batch: every input captures its data,
 * the graph generates the batch's RDDs and jobs, and the job set goes to the JobScheduler.
 * After a restart from a metadata checkpoint, one 'generate-recovered' command generates the
 * checkpoint's pending batches and the down time in order before the timer's first batch.
 */
import type { DStreamGraph } from '../dstream/dstream-graph.js';
import type { InputRecord } from '../events/index.js';
import type { Clock } from '../time.js';
import type { JobScheduler } from './job-scheduler.js';
import { RunningBatch } from './running-batch.js';

export type GeneratorCommand =
  | { readonly kind: 'generate-jobs'; readonly timeMs: number }
  | { readonly kind: 'clear-metadata'; readonly timeMs: number }
  /** Recovery: these batch times (sorted, distinct, all before the timer's first) in order. */
  | { readonly kind: 'generate-recovered'; readonly timesMs: readonly number[] };

/** The batch time a command was about when it failed, for error messages. */
export function commandTimeMs(command: GeneratorCommand): number | undefined {
  return command.kind === 'generate-recovered' ? command.timesMs[0] : command.timeMs;
}

export interface JobGeneratorDeps {
  readonly app: string;
  readonly clock: Clock;
  readonly graph: DStreamGraph;
  readonly batchIntervalMs: number;
  readonly scheduler: JobScheduler;
  /**
   * A command that threw (an input failed to produce its batch, a job failed to generate);
   * `timeMs` is the batch being generated when it did.
   */
  onError(error: unknown, command: GeneratorCommand, timeMs: number | undefined): void;
}

export class JobGenerator {
  private loop: Promise<void> = Promise.resolve();
  private timerAbort: AbortController | undefined;
  private lastGenerated: number | undefined;
  private firstBatch: number | undefined;
  private generatedWaiters: { timeMs: number; resolve: () => void }[] = [];
  private generating: number | undefined;

  constructor(private readonly deps: JobGeneratorDeps) {}

  /** Time of the first batch: the next multiple of the batch interval after now, as in Spark. */
  start(): number {
    const { clock, batchIntervalMs, graph } = this.deps;
    const first = (Math.floor(clock.now() / batchIntervalMs) + 1) * batchIntervalMs;
    this.firstBatch = first;
    graph.start(first - batchIntervalMs);
    this.timerAbort = new AbortController();
    void this.runTimer(first, this.timerAbort.signal);
    return first;
  }

  /**
   * Recovery (Spark's JobGenerator.restart): the graph keeps the checkpoint's zero time,
   * `restore` puts the checkpointed RDDs back, `recoveredTimesMs` are generated first, in order,
   * then the timer goes on from the next batch time after now. Returns that time.
   */
  restart(zeroTimeMs: number, recoveredTimesMs: readonly number[], restore: () => void): number {
    const { clock, batchIntervalMs, graph } = this.deps;
    const first = (Math.floor(clock.now() / batchIntervalMs) + 1) * batchIntervalMs;
    this.firstBatch = first;
    graph.start(zeroTimeMs);
    restore();
    const times = [...new Set(recoveredTimesMs)].filter((t) => t < first).sort((a, b) => a - b);
    if (times.length > 0) this.post({ kind: 'generate-recovered', timesMs: times });
    this.timerAbort = new AbortController();
    void this.runTimer(first, this.timerAbort.signal);
    return first;
  }

  get firstBatchTimeMs(): number | undefined {
    return this.firstBatch;
  }

  get lastGeneratedTimeMs(): number | undefined {
    return this.lastGenerated;
  }

  /** Resolves once a batch with time >= `timeMs` has been generated and submitted. */
  generatedThrough(timeMs: number): Promise<void> {
    if (this.lastGenerated !== undefined && this.lastGenerated >= timeMs) return Promise.resolve();
    return new Promise((resolve) => this.generatedWaiters.push({ timeMs, resolve }));
  }

  /** Stops generating new batches and resolves once every posted command has been handled. */
  async stop(): Promise<void> {
    this.timerAbort?.abort(new Error('stopped'));
    await this.loop;
  }

  post(command: GeneratorCommand): void {
    this.loop = this.loop
      .then(() => this.handle(command))
      .catch((error) => this.deps.onError(error, command, this.generating ?? commandTimeMs(command)));
  }

  private async runTimer(first: number, signal: AbortSignal): Promise<void> {
    for (let t = first; !signal.aborted; t += this.deps.batchIntervalMs) {
      try {
        await this.deps.clock.waitUntil(t, signal);
      } catch {
        return; // aborted
      }
      this.post({ kind: 'generate-jobs', timeMs: t });
    }
  }

  private async handle(command: GeneratorCommand): Promise<void> {
    switch (command.kind) {
      case 'generate-jobs':
        return this.generateJobs(command.timeMs);
      case 'clear-metadata':
        this.deps.graph.clearMetadata(command.timeMs);
        return;
      case 'generate-recovered':
        for (const t of command.timesMs) await this.generateJobs(t);
        return;
      default: {
        const unknown: never = command;
        throw new Error(`unknown generator command ${JSON.stringify(unknown)}`);
      }
    }
  }

  private async generateJobs(timeMs: number): Promise<void> {
    const { graph, clock, app, scheduler } = this.deps;
    this.generating = timeMs;
    this.lastGenerated = timeMs;
    const inputs: InputRecord[] = [];
    const eventTimes: RunningBatch['pendingEventTimes'] = [];
    const traceparents: RunningBatch['pendingTraceparents'] = [];
    const consumerGroups: RunningBatch['consumerGroups'] = [];
    for (const stream of graph.inputs) {
      const batch = await stream.source.generate(timeMs);
      stream.putGenerated(timeMs, batch.rdd);
      // The input's metadata goes into the record as the input reported it (Spark's
      // StreamInputInfo): the engine does not interpret positions or lag.
      // (Keys keep the record's documented order: a key the metadata repeats stays in place.)
      inputs.push({
        streamId: stream.streamId,
        name: stream.source.name,
        numRecords: batch.numRecords,
        offsetRanges: [],
        eventTimeLagMs: null,
        ...batch.metadata,
      });
      eventTimes.push(batch.eventTimesMs);
      traceparents.push(batch.traceparents);
      if (batch.consumerGroup !== undefined)
        consumerGroups.push({ streamId: stream.streamId, group: batch.consumerGroup });
    }
    const jobs = graph.generateJobs(timeMs);
    const state = graph.stateToMaterialize(timeMs);
    const info = new RunningBatch(app, timeMs, clock.now());
    info.inputs = inputs;
    info.pendingEventTimes = eventTimes;
    info.pendingTraceparents = traceparents;
    info.consumerGroups = consumerGroups;
    scheduler.submit({ info, jobs, state, inputs: graph.inputs.map((s) => s.source) });
    const due = this.generatedWaiters.filter((w) => w.timeMs <= timeMs);
    this.generatedWaiters = this.generatedWaiters.filter((w) => w.timeMs > timeMs);
    for (const w of due) w.resolve();
    this.generating = undefined;
  }
}
