/**
 * Input events: what inputs report that is not a batch, posted on the listener bus by the inputs
 * themselves and delivered to `onSourceEvent` as one discriminated union, SourceEvent. The
 * generic ones are here; Kafka's are in kafka-events.ts. An input's failures are input events
 * ('input-error'), whatever kind of input it is; receivers additionally have their lifecycle
 * events (receiver-events.ts). Types only.
 */
import type { KafkaOffsetsReset, KafkaPartitionLag, KafkaRebalance } from './kafka-events.js';

/** Backpressure set a new rate bound for the input. */
export interface RateChanged {
  readonly type: 'rate-changed';
  readonly streamId: number;
  readonly stream: string;
  readonly ratePerSec: number;
}

/**
 * The input rejected one record: a decoder threw (Kafka), or a line of text was longer than the
 * input's bound (`LineTooLong`, the text inputs). Counted, optionally dead-lettered, never
 * silently dropped. Where the record was: `topic`, `partition` and `offset` for inputs with
 * Kafka positions; `position` for the others, in words (a byte offset in a file, a line number
 * on a connection).
 */
export interface RecordError {
  readonly type: 'record-error';
  readonly streamId: number;
  readonly stream: string;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: number;
  /** Where the record was when it has no Kafka position, e.g. `byte 1234 of /var/log/app.log`. */
  readonly position?: string;
  readonly errorType: string;
  readonly reason: string;
  /**
   * True when the record goes to the stream's dead-letter destination: a Kafka dead-letter topic
   * (produced before this event), or a text input's dead-letter file (written when the rejected
   * line ends, its length then known).
   */
  readonly deadLettered: boolean;
}

/**
 * What an input was doing when it failed. 'recover': a receiver stream's recovery found its
 * block journal damaged and names the blocks and batches that may be affected.
 */
export type InputOperation = 'connect' | 'consume' | 'assign' | 'commit' | 'read' | 'clean' | 'recover';

/**
 * An input failed at something it will try again or report around (cannot reach its upstream,
 * a commit upstream failed, a stored block could not be read back). Batches go on; the message
 * says what happened and what the input does next.
 */
export interface InputError {
  readonly type: 'input-error';
  readonly streamId: number;
  readonly stream: string;
  readonly operation: InputOperation;
  readonly message: string;
}

/**
 * The input's connection to its upstream changed: it lost it (a broker that stopped answering,
 * a closed socket, a file that vanished) or got it back. Posted on each change, never per
 * record or per batch; `reason` says what was seen (naming the broker or host) when it is lost.
 */
export interface InputConnectivity {
  readonly type: 'input-connectivity';
  readonly streamId: number;
  readonly stream: string;
  readonly connected: boolean;
  readonly reason: string;
}

/** Every input event, by `type`. */
export type SourceEvent =
  | InputConnectivity
  | RateChanged
  | RecordError
  | InputError
  | KafkaRebalance
  | KafkaOffsetsReset
  | KafkaPartitionLag;

export type SourceEventType = SourceEvent['type'];
