/**
 * LineBuffer: the Graphite exporter's bounded queue of lines waiting for the socket. It never
 * grows past its capacity: when full, a new line pushes out the OLDEST one (recent values matter
 * most, and carbon would file stale ones under their old timestamps anyway), and push() says how
 * many went so the exporter can count them.
 */

export class LineBuffer {
  private readonly items: (string | undefined)[];
  private head = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`a line buffer holds at least 1 line, not ${capacity}`);
    }
    this.items = new Array(capacity);
  }

  /** Lines waiting. */
  get size(): number {
    return this.length;
  }

  /** Appends `line`; returns how many old lines were dropped to make room (0 or 1). */
  push(line: string): number {
    let dropped = 0;
    if (this.length === this.capacity) {
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.length--;
      dropped = 1;
    }
    this.items[(this.head + this.length) % this.capacity] = line;
    this.length++;
    return dropped;
  }

  /** Takes the oldest line out; undefined when empty. */
  shift(): string | undefined {
    if (this.length === 0) return undefined;
    const line = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.length--;
    return line;
  }

  /** The oldest line, left in place; undefined when empty. */
  peek(): string | undefined {
    return this.length === 0 ? undefined : this.items[this.head];
  }

  /** Empties the buffer; returns how many lines it held. */
  clear(): number {
    const n = this.length;
    this.items.fill(undefined);
    this.head = 0;
    this.length = 0;
    return n;
  }
}
