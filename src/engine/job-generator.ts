/**
 * JobGenerator: the timer-driven half of module 2. A recurring timer on the injected clock posts
 * a command for every batch time; one event loop handles the closed set of commands in order,
 * so generation, cleanup and stop never interleave. Per batch: every input captures its data,
 * the graph generates the batch's RDDs and jobs, and the job set goes to the JobScheduler.
 * After a restart from a metadata checkpoint, one 'generate-recovered' command generates the
 * checkpoint's pending batches and the down time in order before the timer's first batch.
 *
 * It also knows which batches it owes: every batch time whose generation is due (posted, or due on
 * the timer) and not yet submitted, so `overdue()` can say how late the next batch is while its
 * generation is stuck (an input's capture waiting on an upstream that does not answer), not
 * only once it is finally submitted.
 */
import type { DStreamGraph } from '../dstream/dstream-graph.js';
import type { BatchOverdue, InputRecord } from '../events/index.js';
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

/** The oldest batch whose generation is due and not yet submitted (JobGenerator.overdue). */
export interface GenerationOverdue {
  readonly batchTimeMs: number;
  /** Clock time minus the batch's due time: its batch time, or the restart for a recovered batch. */
  readonly overdueMs: number;
  /** What generation waits for, in words: `input kafka:events`, `its jobs to be built`, `the batch timer`. */
  readonly waitingFor: string;
}

/** A batch the generator owes: its time and when its generation became due. */
interface OwedBatch {
  readonly timeMs: number;
  readonly dueMs: number;
}

export interface JobGeneratorDeps {
  readonly app: string;
  readonly clock: Clock;
  readonly graph: DStreamGraph;
  readonly batchIntervalMs: number;
  readonly scheduler: JobScheduler;
  /**
   * A batch more than this late is overdue (the engine's readiness bound): `onOverdue` hears once
   * when one crosses it and once when generation is back under it. Absent: not watched.
   */
  readonly overdueAfterMs?: number;
  onOverdue?(event: BatchOverdue): void;
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
  /** The input whose generate() the current batch waits for; undefined while building the jobs. */
  private capturing: string | undefined;
  /** Posted generation work not submitted yet, oldest first (commands run in order). */
  private owed: OwedBatch[] = [];
  /** The batch time the timer waits for; undefined before start and after stop. */
  private timerNext: number | undefined;
  /** The overdue batch announced and not yet caught up with, and when it was due. */
  private episode:
    | { readonly timeMs: number; readonly dueMs: number; readonly waitingFor: string }
    | undefined;
  /** The wait for the batch being generated to cross the overdue bound; aborted once submitted. */
  private watch: AbortController | undefined;

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
    this.timerNext = undefined;
    await this.loop;
    this.watch?.abort();
  }

  /**
   * The oldest batch due (at or before `nowMs`) and not yet submitted, with how late it is;
   * undefined while generation keeps up. A recovered batch is due from the restart, not from its
   * old batch time: it could not have been generated before the engine ran again.
   */
  overdue(nowMs: number): GenerationOverdue | undefined {
    const oldest = this.owed[0];
    const timer = this.timerNext;
    if (oldest !== undefined && (timer === undefined || oldest.dueMs <= timer)) {
      if (nowMs < oldest.dueMs) return undefined;
      return {
        batchTimeMs: oldest.timeMs,
        overdueMs: nowMs - oldest.dueMs,
        waitingFor:
          this.generating !== oldest.timeMs
            ? 'the batches before it'
            : this.capturing === undefined
              ? 'its jobs to be built'
              : `input ${this.capturing}`,
      };
    }
    if (timer === undefined || nowMs < timer) return undefined;
    // The timer's time has come but it has not fired: the event loop is busy.
    return { batchTimeMs: timer, overdueMs: nowMs - timer, waitingFor: 'the batch timer' };
  }

  post(command: GeneratorCommand): void {
    if (command.kind === 'generate-jobs') this.owed.push({ timeMs: command.timeMs, dueMs: command.timeMs });
    if (command.kind === 'generate-recovered') {
      const dueMs = this.deps.clock.now();
      for (const timeMs of command.timesMs) this.owed.push({ timeMs, dueMs });
    }
    this.loop = this.loop
      .then(() => this.handle(command))
      .catch((error) => {
        // The engine stops on a failed generation; what the command still owed is not owed any more.
        const times = command.kind === 'generate-recovered' ? command.timesMs : [command.timeMs];
        this.owed = this.owed.filter((o) => !times.includes(o.timeMs));
        this.capturing = undefined;
        this.watch?.abort();
        this.deps.onError(error, command, this.generating ?? commandTimeMs(command));
      });
  }

  private async runTimer(first: number, signal: AbortSignal): Promise<void> {
    for (let t = first; !signal.aborted; t += this.deps.batchIntervalMs) {
      this.timerNext = t;
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

  /**
   * Arms the wait for the batch about to be generated to cross the overdue bound; one wait at a
   * time, none while an announced episode lasts (it is announced once).
   */
  private watchOverdue(): void {
    const { overdueAfterMs: after, onOverdue: announce, clock } = this.deps;
    const oldest = this.owed[0];
    if (after === undefined || !announce || !oldest || this.episode) return;
    this.watch?.abort();
    const watch = new AbortController();
    this.watch = watch;
    clock.waitUntil(oldest.dueMs + after + 1, watch.signal).then(
      () => {
        if (watch.signal.aborted || this.episode) return;
        const late = this.overdue(clock.now());
        if (!late || late.overdueMs <= after) return;
        const due = this.owed[0]?.dueMs ?? late.batchTimeMs;
        this.episode = { timeMs: late.batchTimeMs, dueMs: due, waitingFor: late.waitingFor };
        announce({
          batchTime: late.batchTimeMs,
          overdue: true,
          lateMs: late.overdueMs,
          waitingFor: late.waitingFor,
        });
      },
      () => {}, // aborted: the batch was submitted in time, or the generator stopped
    );
  }

  /** After a submission: an announced episode ends once no batch is past the bound any more. */
  private endOverdue(): void {
    this.watch?.abort();
    this.watch = undefined;
    const { overdueAfterMs: after, onOverdue: announce, clock } = this.deps;
    const episode = this.episode;
    if (!episode || after === undefined || !announce) return;
    const now = clock.now();
    const late = this.overdue(now);
    if (late && late.overdueMs > after) return;
    this.episode = undefined;
    announce({
      batchTime: episode.timeMs,
      overdue: false,
      lateMs: now - episode.dueMs,
      waitingFor: episode.waitingFor,
    });
  }

  private async generateJobs(timeMs: number): Promise<void> {
    const { graph, clock, app, scheduler } = this.deps;
    this.generating = timeMs;
    this.lastGenerated = timeMs;
    this.watchOverdue();
    const inputs: InputRecord[] = [];
    const eventTimes: RunningBatch['pendingEventTimes'] = [];
    const traceparents: RunningBatch['pendingTraceparents'] = [];
    const consumerGroups: RunningBatch['consumerGroups'] = [];
    for (const stream of graph.inputs) {
      this.capturing = stream.source.name;
      const batch = await stream.source.generate(timeMs);
      this.capturing = undefined;
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
    this.owed = this.owed.filter((o) => o.timeMs !== timeMs);
    this.endOverdue();
    const due = this.generatedWaiters.filter((w) => w.timeMs <= timeMs);
    this.generatedWaiters = this.generatedWaiters.filter((w) => w.timeMs > timeMs);
    for (const w of due) w.resolve();
    this.generating = undefined;
  }
}
