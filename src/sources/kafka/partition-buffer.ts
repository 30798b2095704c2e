/**
 * PartitionBuffer: what the group consumer has fetched for one partition and not yet handed to a
 * batch. The consumer appends in offset order and reports its fetch position (one past the last
 * offset it has seen, control records and aborted transactions included); a batch's task reads
 * exactly `[from, until)` once the position has reached `until`. Records below the last range
 * read are dropped, so memory holds only what later batches still need.
 *
 * Bounded: a consumer that fetches faster than batches take records would otherwise hold the
 * whole backlog. Past a bound, with no read waiting for more, the membership pauses fetching the
 * partition (`holdUntilRoom`); it resumes once a read waits for records not fetched yet or
 * releasing brings the buffer down to half the bound. A planned range is never held back: planning
 * it (or a read waiting for it) resumes fetching, so the bound caps what is fetched AHEAD of the
 * plans.
 */
import { SidestreamError } from '../../errors.js';
import type { RawKafkaMessage } from './kafka-record.js';

interface Waiter {
  until: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class PartitionBuffer {
  /** Held records are messages[head..]: releasing moves `head`, the array is compacted rarely. */
  private messages: RawKafkaMessage[] = [];
  private head = 0;
  private fetchedUntil: number;
  private waiters: Waiter[] = [];
  private generation = 0;
  private revokedBy: string | undefined;
  /** Records below this were released (or never held: the buffer started or was reset here). */
  private releasedUntil: number;
  /** The highest until-offset a batch planned: fetching never pauses below it. */
  private plannedUntil = 0;
  /** Set while fetching is held back for memory: resumes it, once. */
  private whenRoom: { readonly below: number; readonly resume: () => void } | undefined;

  constructor(startOffset: number) {
    this.fetchedUntil = startOffset;
    this.releasedUntil = startOffset;
  }

  /** One past the highest offset fetched so far. */
  get position(): number {
    return this.fetchedUntil;
  }

  get size(): number {
    return this.messages.length - this.head;
  }

  /** More than `bound` records held, and nothing planned or waited for past them: fetching may pause. */
  isFullAt(bound: number): boolean {
    return this.size > bound && this.waiters.length === 0 && this.fetchedUntil >= this.plannedUntil;
  }

  /**
   * A batch planned a range up to `until`. Fetching resumes now if it was held back, not when
   * the range's task starts: tasks run a few at a time, and kafkajs looks at a resumed
   * partition only after its fetch loop's wait (500 ms) when every partition was paused.
   */
  planned(until: number): void {
    if (until > this.plannedUntil) this.plannedUntil = until;
    if (until > this.fetchedUntil) this.makeRoom();
  }

  /** Whether fetching is held back for memory now. */
  get held(): boolean {
    return this.whenRoom !== undefined;
  }

  /**
   * Fetching was paused for memory: `resume` is called once, when a read waits for records not
   * fetched yet, the buffer is down to half of `bound`, or it is reset or revoked.
   */
  holdUntilRoom(bound: number, resume: () => void): void {
    this.whenRoom = { below: Math.floor(bound / 2), resume };
  }

  private makeRoom(): void {
    const room = this.whenRoom;
    this.whenRoom = undefined;
    room?.resume();
  }

  /** Bumped by reset(); a fetch that started before a seek must not append to the new epoch. */
  get epoch(): number {
    return this.generation;
  }

  append(epoch: number, batch: readonly RawKafkaMessage[], lastOffset: number): void {
    if (epoch !== this.generation) return;
    for (const m of batch) {
      if (m.offset >= this.fetchedUntil) this.messages.push(m);
    }
    this.advance(epoch, lastOffset + 1);
  }

  /** The consumer moved past offsets that carried no data records (control records, aborts). */
  advance(epoch: number, position: number): void {
    if (epoch !== this.generation || position <= this.fetchedUntil) return;
    this.fetchedUntil = position;
    const ready = this.waiters.filter((w) => w.until <= position);
    this.waiters = this.waiters.filter((w) => w.until > position);
    for (const w of ready) w.resolve();
  }

  /**
   * The partition went to another agent: nothing more will be fetched. Reads of what is already
   * here still succeed; a read that would wait fails at once, with SS_PARTITION_REVOKED.
   */
  revoke(description: string): void {
    this.revokedBy = description;
    this.makeRoom();
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.reject(this.revokedError(w.until));
  }

  private revokedError(until: number): SidestreamError {
    return new SidestreamError(
      'SS_PARTITION_REVOKED',
      `${this.revokedBy}: revoked by a rebalance before offsets up to ${until} were fetched (fetched up to ${this.fetchedUntil}); the batch is planned again without it`,
    );
  }

  /** Forget everything: the consumer was moved to `offset` (replay, rebalance, reset). */
  reset(offset: number): void {
    this.generation++;
    this.messages = [];
    this.head = 0;
    this.fetchedUntil = offset;
    this.releasedUntil = offset;
    // Plans made before the move are void (the stream re-plans from here).
    this.plannedUntil = offset;
    this.makeRoom();
  }

  /**
   * The records of `[from, until)`. Waits (up to `timeoutMs`) until the fetch position reaches
   * `until`; rejects if it does not, so the task fails and is retried.
   */
  async read(from: number, until: number, timeoutMs: number): Promise<RawKafkaMessage[]> {
    if (until <= from) return [];
    // Records below releasedUntil are gone from memory: a slice would silently miss them, and a
    // sink would commit the range without them. Fail the task instead; the source rewinds.
    if (from < this.releasedUntil) {
      throw new SidestreamError(
        'SS_PARTITION_REVOKED',
        `offsets [${from}, ${Math.min(until, this.releasedUntil)}) are no longer held (released up to ${this.releasedUntil}); the batch is planned again from the stored offsets`,
      );
    }
    if (this.fetchedUntil < until) {
      if (this.revokedBy !== undefined) throw this.revokedError(until);
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          until,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for offsets [${from}, ${until}); fetched up to ${this.fetchedUntil}`,
            ),
          );
        }, timeoutMs);
        this.waiters.push(waiter);
        // A planned range is never left waiting on a fetch held back for memory.
        this.makeRoom();
      });
    }
    return this.messages.slice(this.lowerBound(from), this.lowerBound(until));
  }

  /** Index of the first held record whose offset is >= `offset` (binary search). */
  private lowerBound(offset: number): number {
    const messages = this.messages;
    let lo = this.head;
    let hi = messages.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      // biome-ignore lint/style/noNonNullAssertion: head <= lo <= mid < hi <= messages.length.
      if (messages[mid]!.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Kafka timestamp of the record at `offset` if it has been fetched and is still held; undefined
   * otherwise (not fetched yet, released, or no data record there). A binary search: no per-record work.
   */
  timestampAt(offset: number): number | undefined {
    const m = this.messages[this.lowerBound(offset)];
    return m !== undefined && m.offset === offset ? m.timestamp : undefined;
  }

  /** Drops records below `offset` (a range up to it was read and kept by its batch). */
  release(offset: number): void {
    if (offset > this.releasedUntil) this.releasedUntil = Math.min(offset, this.fetchedUntil);
    this.head = this.lowerBound(offset);
    // Compact once the released prefix outweighs what is held: amortised O(1) per record.
    if (this.head > 1024 && this.head * 2 > this.messages.length) {
      this.messages = this.messages.slice(this.head);
      this.head = 0;
    }
    if (this.whenRoom !== undefined && this.size <= this.whenRoom.below) this.makeRoom();
  }
}
