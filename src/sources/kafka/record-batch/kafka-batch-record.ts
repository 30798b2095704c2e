/**
 * KafkaBatchRecord: one data record decoded from a record batch, in the shape the direct stream
 * reads (RawKafkaMessage), so a range read hands the decoder's records on without a copy. Key,
 * value and header values are views on the fetched bytes. Every field is an own data property:
 * a rejected record is structured-cloned from an executor worker back to the driver, and a
 * clone keeps own fields only (no getters).
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
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    /** The record's headers, or undefined when it has none (most records). */
    rawHeaders: RawHeaders | undefined,
  ) {
    this.rawHeaders = rawHeaders as RawKafkaMessage['rawHeaders'];
    this.headers = rawHeaders === undefined ? NO_HEADERS : decodeHeaders(rawHeaders);
  }
}
