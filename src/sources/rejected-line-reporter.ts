/**
 * RejectedLineReporter: what every text input does with a line over its bound (LineSplitter).
 * The line is reported once, as soon as it passes the bound, as a `LineTooLong` record error at
 * its position (so a line that never ends is seen at once, not when its newline comes); when the
 * input has a dead-letter file, the line's first bytes and full length are appended to it once
 * the line ends (its newline, or the end of the input), which is when the length is known.
 */
import type { RejectedRecordDetails } from '../receiver/receiver.js';
import { DEAD_LETTER_PREFIX_BYTES, type DeadLetterFile } from './dead-letter-file.js';
import type { LineHandler, OverlongLine } from './line-splitter.js';

export const LINE_TOO_LONG = 'LineTooLong';

export type ReportRecordError = (errorType: string, reason: string, details: RejectedRecordDetails) => void;

export interface RejectedLineReporterOptions {
  /** The input's name, in dead-letter entries. */
  readonly stream: string;
  readonly maxLineBytes: number;
  readonly report: ReportRecordError;
  readonly deadLetter?: DeadLetterFile | undefined;
}

export class RejectedLineReporter {
  constructor(private readonly options: RejectedLineReporterOptions) {}

  /** The splitter's keepHeadBytes: a line's first bytes are kept only for a dead-letter file. */
  get keepHeadBytes(): number {
    return this.options.deadLetter ? DEAD_LETTER_PREFIX_BYTES : 0;
  }

  /**
   * A splitter output that appends delivered lines to `lines` and reports rejected ones, each at
   * `position(line)` (the input's words for where it starts).
   */
  collect(lines: string[], position: (line: OverlongLine) => string): LineHandler {
    const { stream, maxLineBytes, report, deadLetter } = this.options;
    return {
      line: (text) => {
        lines.push(text);
      },
      overlong: (line) => {
        report(
          LINE_TOO_LONG,
          `line longer than ${maxLineBytes} bytes (maxLineBytes): not delivered; its bytes are dropped up to its newline`,
          { position: position(line), deadLettered: deadLetter !== undefined },
        );
      },
      overlongEnded: (line, lengthBytes, terminated) => {
        void deadLetter?.append({
          stream,
          errorType: LINE_TOO_LONG,
          position: position(line),
          lengthBytes,
          terminated,
          prefix: line.head,
        });
      },
    };
  }
}
