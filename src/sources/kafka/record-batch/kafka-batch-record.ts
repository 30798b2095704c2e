/**
 * KafkaBatchRecord: one data record decoded from a record batch, in the shape the direct stream
 * reads (RawKafkaMessage), so a range read hands the decoder's records on without a copy. The
 * key and value stay where they are in the fetched (or decompressed) bytes: a record holds their
 * positions, and builds a Buffer view of them only when something asks for one (a user's
 * decoder, a dead letter). The default decoder takes the text straight from the bytes
 * (`keyText`, `valueText`), so most records never get a view: up to two objects fewer per
 * record.
 *
 * The getters do not survive a structured clone: a record sent across threads goes as
 * `toMessage()`, a plain object.
 */
import { decodeHeaders, type RawKafkaMessage } from '../kafka-record.js';

/** Headers as kafkajs gives them: a repeated key collects its values in an array. */
export type RawHeaders = Record<string, Buffer | null | (Buffer | null)[]>;

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export class KafkaBatchRecord implements RawKafkaMessage {
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Typed as RawKafkaMessage's, whose type leaves out null header values: a header sent without
   * a value is null here, as kafkajs' own decoder gives it, so dead-lettering sends it on as
   * before.
   */
  readonly rawHeaders: RawKafkaMessage['rawHeaders'];

  constructor(
    readonly offset: number,
    readonly timestamp: number,
    /** The bytes the key and value are in. */
    private readonly bytes: Buffer,
    /** `[keyStart, keyEnd)` in `bytes`; keyStart -1 for a null key. */
    private readonly keyStart: number,
    private readonly keyEnd: number,
    /** `[valueStart, valueEnd)` in `bytes`; valueStart -1 for a null value (a tombstone). */
    private readonly valueStart: number,
    private readonly valueEnd: number,
    /** The record's headers, or undefined when it has none (most records). */
    rawHeaders: RawHeaders | undefined,
  ) {
    this.rawHeaders = rawHeaders as RawKafkaMessage['rawHeaders'];
    this.headers = rawHeaders === undefined ? NO_HEADERS : decodeHeaders(rawHeaders);
  }

  get key(): Buffer | null {
    return this.keyStart < 0 ? null : this.bytes.subarray(this.keyStart, this.keyEnd);
  }

  get value(): Buffer | null {
    return this.valueStart < 0 ? null : this.bytes.subarray(this.valueStart, this.valueEnd);
  }

  /** The key as UTF-8 text, read from the bytes without a view. */
  keyText(): string | null {
    return this.keyStart < 0 ? null : this.bytes.toString('utf8', this.keyStart, this.keyEnd);
  }

  /** The value as UTF-8 text, read from the bytes without a view. */
  valueText(): string | null {
    return this.valueStart < 0 ? null : this.bytes.toString('utf8', this.valueStart, this.valueEnd);
  }

  /** A plain copy with own fields only, for a structured clone (a record sent to another thread). */
  toMessage(): RawKafkaMessage {
    const { offset, timestamp, key, value, headers, rawHeaders } = this;
    return { offset, timestamp, key, value, headers, rawHeaders };
  }

  /** JSON sees the record's fields, not the positions it keeps. */
  toJSON(): RawKafkaMessage {
    return this.toMessage();
  }
}
