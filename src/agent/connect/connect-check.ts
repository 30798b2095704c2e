/**
 * The shape of one `sidestream validate --connect` check: a target the agent would talk to once
 * running (a Kafka input's brokers, carbon, a Pushgateway, a sink's database) and the probe that
 * asks it for an answer. A check reports one line per thing it verified (a Kafka input: its
 * brokers, each topic, its group), so run-connect-checks.ts can show what did answer before a
 * later step failed or ran out of time.
 */

/** `ok`: it answered; `FAIL`: it did not, or answered no; `skip`: it cannot be checked (UDP). */
export type CheckStatus = 'ok' | 'FAIL' | 'skip';

export interface CheckLine {
  readonly status: CheckStatus;
  /** What was asked, as shown: `kafka 127.0.0.1:9092 (input kafka:clicks)`; never a secret. */
  readonly target: string;
  /** What came back, and for a failure what to do about it. */
  readonly detail: string;
  /** Milliseconds from the check's start to this line; absent for lines that asked nothing. */
  readonly ms?: number;
}

export interface CheckProgress {
  /** Adds a line, timed from the check's start. */
  report(status: CheckStatus, detail: string, target?: string): void;
  /**
   * Takes the place of a line that comes later (one per seed broker, in the job's order); the
   * function fills it. A slot never filled in time becomes a FAIL line.
   */
  slot(target: string): (status: CheckStatus, detail: string) => void;
  /** What the check is waiting for now: a timeout says so (`reading group g's offsets`). */
  step(what: string): void;
  /** Aborted when the check's time is up: a probe stops waiting and closes what it opened. */
  readonly signal: AbortSignal;
  /** The time the whole check has, for clients that take their own timeouts. */
  readonly timeoutMs: number;
}

export interface ConnectCheck {
  /** Shown on every line of the check unless a line names its own; never a secret. */
  readonly target: string;
  /** Who should be answering, for messages: `carbon`, `a Kafka broker`, `PostgreSQL`. */
  readonly service: string;
  /**
   * Asks the target. A throw becomes one FAIL line (described by describe-connect-error.ts);
   * lines already reported stay.
   */
  run(progress: CheckProgress): Promise<void>;
}
