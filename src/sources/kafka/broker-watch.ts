/**
 * Whether a direct stream's brokers answer, told truthfully: every request the driver sends to a
 * broker (planning's ListOffsets and metadata, the group's offset fetches and commits, the
 * driver's own range reads) is tracked from the moment it is sent until it settles, per broker
 * (`host:port`). A broker is in trouble while one of its requests has waited longer than the
 * stall time without an answer (a frozen broker keeps its TCP connection open, so only the
 * missing answer shows it), or after a request failed without an answer (refused, closed, timed
 * out), until it answers again. The stream is connected while its group membership is up and no
 * broker it uses is in trouble; every change is posted as an `input-connectivity` event with the
 * broker and the request it waited for. It also keeps the time of the last answer from any broker
 * (InputSource.lastResponseMs), fed as well by kafkajs' own request events (heartbeats, fetches).
 *
 * brokerTiming() derives, from the batch interval, how long the stream waits for a broker:
 * docs/kafka.md ("When brokers fail") documents the numbers.
 */
import { describeError } from '../../errors.js';
import { classifyKafkaFailure } from './kafka-failures.js';

export interface BrokerTiming {
  /** Longest a batch's plan (or a commit) waits for a broker that has been answering. */
  readonly requestMs: number;
  /** How long a request may go unanswered before its broker counts as not answering. */
  readonly stallMs: number;
  /** Longest a plan waits for a broker already known not to answer (its earlier request may come back). */
  readonly unresponsiveMs: number;
}

/** The larger of two batch intervals and 3 s per request; stalled after one interval (at least 1 s). */
export function brokerTiming(batchIntervalMs: number): BrokerTiming {
  const requestMs = Math.max(2 * batchIntervalMs, 3000);
  return {
    requestMs,
    stallMs: Math.max(batchIntervalMs, 1000),
    unresponsiveMs: Math.min(requestMs, Math.max(Math.floor(batchIntervalMs / 2), 50)),
  };
}

/** A bounded wait ran out: the request may still be answered later (it is not cancelled). */
export class BrokerTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerTimeout';
  }
}

/**
 * `promise`, or a BrokerTimeout after `ms`. The request behind `promise` goes on (kafkajs cannot
 * cancel it); whoever tracks it sees when it settles.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BrokerTimeout(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Something that sends requests to brokers and lets them be watched (the range reader on the driver). */
export interface RequestObserver {
  /** Tracks `promise`, a request `api` sent to `broker` (`host:port`), until it settles; returns it. */
  track<T>(api: string, broker: string, promise: Promise<T>): Promise<T>;
}

interface Outstanding {
  readonly api: string;
  readonly since: number;
}

interface BrokerState {
  readonly outstanding: Map<number, Outstanding>;
  /** The newest request that ended without an answer, if the broker has not answered since. */
  failure?: { readonly api: string; readonly message: string } | undefined;
}

/** Membership's part of the verdict: up, still connecting (first attempt), or down with a reason. */
type Membership =
  | { readonly up: true }
  | { readonly up: false; readonly reason: string; readonly connecting: boolean };

export interface ConnectivityVerdict {
  readonly connected: boolean;
  readonly reason: string;
}

export class BrokerWatch implements RequestObserver {
  private readonly brokers = new Map<string, BrokerState>();
  /** Brokers the stream uses now (leaders of its partitions, its coordinator); undefined: all. */
  private used: ReadonlySet<string> | undefined;
  private membership: Membership;
  private lastAnswer: number | undefined;
  private nextId = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The connectivity last posted: undefined until the stream first connected or failed to. */
  private posted: boolean | undefined;
  /** Why the stream was last posted as disconnected. */
  private lost: string | undefined;
  /** When start() was first called: a first connection slower than the stall time is news too. */
  private connectingSince: number | undefined;

  constructor(
    readonly timing: BrokerTiming,
    private readonly onChange: (verdict: ConnectivityVerdict) => void,
    seeds: readonly string[],
    private readonly now: () => number = Date.now,
  ) {
    this.membership = { up: false, reason: `connecting to Kafka at ${seeds.join(',')}`, connecting: true };
  }

  /** Checks for stalled requests a few times per stall time, so a change is posted without delay. */
  start(): void {
    this.connectingSince ??= this.now();
    this.timer ??= setInterval(() => this.check(), Math.max(Math.min(this.timing.stallMs / 4, 250), 20));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  track<T>(api: string, broker: string, promise: Promise<T>): Promise<T> {
    const state = this.state(broker);
    const id = this.nextId++;
    state.outstanding.set(id, { api, since: this.now() });
    promise.then(
      () => {
        state.outstanding.delete(id);
        this.answered(broker);
      },
      (error: unknown) => {
        state.outstanding.delete(id);
        if (classifyKafkaFailure(error).answered) this.answered(broker);
        else this.failed(broker, api, describeError(error));
      },
    );
    return promise;
  }

  /** A response from `broker` (any request, ours or kafkajs' own). */
  answered(broker: string): void {
    this.lastAnswer = this.now();
    const state = this.brokers.get(broker);
    if (state) state.failure = undefined;
    this.check();
  }

  /** A request `api` to `broker` ended without an answer (kafkajs' own timeouts included). */
  failed(broker: string, api: string, message: string): void {
    this.state(broker).failure = { api, message };
    this.check();
  }

  /** Whether `broker` is in trouble: a plan then waits only briefly for it. */
  unresponsive(broker: string): boolean {
    const state = this.brokers.get(broker);
    return state !== undefined && this.trouble(broker, state) !== undefined;
  }

  /** Whether a request to `broker` is still waiting for its answer. */
  waiting(broker: string): boolean {
    return (this.brokers.get(broker)?.outstanding.size ?? 0) > 0;
  }

  /**
   * The brokers the stream uses now: trouble with another one (a former leader or coordinator)
   * no longer makes the stream disconnected.
   */
  use(brokers: Iterable<string>): void {
    this.used = new Set(brokers);
    this.check();
  }

  /** The group membership is up (connected, joined), or not and why. */
  membershipUp(): void {
    this.membership = { up: true };
    this.check();
  }

  /** `connecting`: still on the way to a first connection (not a loss to post). */
  membershipDown(reason: string, { connecting = false }: { connecting?: boolean } = {}): void {
    this.membership = { up: false, reason, connecting };
    this.check();
  }

  get lastResponseMs(): number | undefined {
    return this.lastAnswer;
  }

  verdict(): ConnectivityVerdict {
    if (!this.membership.up) return { connected: false, reason: this.membership.reason };
    const problems: string[] = [];
    for (const [broker, state] of this.brokers) {
      if (this.used !== undefined && !this.used.has(broker)) continue;
      const trouble = this.trouble(broker, state);
      if (trouble !== undefined) problems.push(trouble);
    }
    return problems.length === 0
      ? { connected: true, reason: '' }
      : { connected: false, reason: problems.join('; ') };
  }

  private trouble(broker: string, state: BrokerState): string | undefined {
    const now = this.now();
    let oldest: Outstanding | undefined;
    for (const o of state.outstanding.values()) if (!oldest || o.since < oldest.since) oldest = o;
    if (oldest && now - oldest.since >= this.timing.stallMs)
      return `no answer from ${broker} to ${oldest.api} for ${formatSeconds(now - oldest.since)}`;
    if (state.failure) return `${broker} did not answer ${state.failure.api}: ${state.failure.message}`;
    return undefined;
  }

  /** Posts a change of connectivity (the first successful connection is not a change). */
  check(): void {
    let verdict = this.verdict();
    if (verdict.connected === this.posted) return;
    if (this.posted === undefined) {
      // Starting: being connected is the expected state, and still connecting is no news either,
      // for one stall time: kafkajs gives up on unreachable brokers only after its whole retry
      // budget (about 25 s), and an agent started against dead brokers must say so long before.
      if (verdict.connected) {
        this.posted = true;
        return;
      }
      if (!this.membership.up && this.membership.connecting) {
        const waited = this.now() - (this.connectingSince ?? this.now());
        if (waited < this.timing.stallMs) return;
        verdict = {
          connected: false,
          reason: `${verdict.reason}: no connection after ${formatSeconds(waited)}`,
        };
      }
    }
    this.posted = verdict.connected;
    if (verdict.connected) {
      this.onChange({ connected: true, reason: `answering again after: ${this.lost ?? 'no answer'}` });
    } else {
      this.lost = verdict.reason;
      this.onChange(verdict);
    }
  }

  private state(broker: string): BrokerState {
    let state = this.brokers.get(broker);
    if (!state) {
      state = { outstanding: new Map() };
      this.brokers.set(broker, state);
    }
    return state;
  }
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
