/**
 * Receivers (module 3): their lifecycle and the blocks they store, posted by the receiver
 * supervisor and the receiver stream themselves. Types only.
 */

export interface ReceiverEvent {
  readonly streamId: number;
  readonly name: string;
  readonly message?: string;
}

/** A receiver stored one block of records (posted once per block, never per record). */
export interface BlockStored {
  readonly streamId: number;
  readonly name: string;
  readonly numRecords: number;
  readonly bytes: number;
  /** True when the block was written to the write-ahead log before it was acknowledged. */
  readonly durable: boolean;
}

/**
 * @deprecated Receivers post their events on the listener bus themselves (onReceiverStarted,
 * onReceiverError, onReceiverStopped, onBlockStored); nothing in sidestream takes a
 * ReceiverReporter any more. Kept so code that named the type still compiles.
 */
export interface ReceiverReporter {
  started(): void;
  error(message: string, error?: unknown): void;
  stopped(reason: string): void;
  blockStored(numRecords: number, bytes: number, durable: boolean): void;
}
