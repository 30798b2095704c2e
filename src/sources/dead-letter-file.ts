/**
 * DeadLetterFile: where a text input (socketTextStream, fileTailStream, textFileStream) writes the
 * lines it rejects, when its `deadLetterPath` option is set. One JSON object per rejected line:
 *
 *   {"time":"2026-01-02T03:04:05.678Z","stream":"socket:127.0.0.1:9999","errorType":"LineTooLong",
 *    "position":"line 2 of connection 1 (from byte 6)","lengthBytes":52428800,"terminated":true,
 *    "prefixBytes":4096,"prefixBase64":"..."}
 *
 * A rejected line is written as its first bytes (DEAD_LETTER_PREFIX_BYTES, or maxLineBytes + 1
 * when the bound is smaller; base64: the bytes as they came, invalid UTF-8 included) and its
 * full length, never whole. Writing it whole would mean either holding it in memory (what the
 * line bound exists to prevent) or streaming it to disk as it arrives, which turns the
 * dead-letter file into a disk filler: a peer sending one endless line would fill the volume the
 * write-ahead log and checkpoints live on. The prefix is enough to recognise the line and its
 * producer; the length says how far over the bound it was.
 *
 * The file is created with mode 0600: rejected input may hold anything the sender sent. Appends
 * run one at a time, in order; a failed one is handed to `onError` and the input goes on.
 */
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../private-files.js';

/** How many first bytes of a rejected line are kept (and held in memory while it goes on). */
export const DEAD_LETTER_PREFIX_BYTES = 4096;

export interface DeadLetterEntry {
  readonly stream: string;
  readonly errorType: string;
  /** Where the line was, in the words of the input's record-error event. */
  readonly position: string;
  /** Its full length in bytes, terminator excluded. */
  readonly lengthBytes: number;
  /** False when the input ended (connection closed, file replaced, stop) before its newline. */
  readonly terminated: boolean;
  /** Its first bytes, at most DEAD_LETTER_PREFIX_BYTES. */
  readonly prefix: Uint8Array;
}

export class DeadLetterFile {
  private chain: Promise<void> = Promise.resolve();
  private madeDir = false;

  constructor(
    readonly path: string,
    private readonly onError: (message: string, error: unknown) => void,
  ) {}

  /** Appends one entry after those before it; resolves once it is written (or failed). */
  append(entry: DeadLetterEntry): Promise<void> {
    const prefix = Buffer.from(entry.prefix.buffer, entry.prefix.byteOffset, entry.prefix.length).subarray(
      0,
      DEAD_LETTER_PREFIX_BYTES,
    );
    const line = `${JSON.stringify({
      time: new Date().toISOString(),
      stream: entry.stream,
      errorType: entry.errorType,
      position: entry.position,
      lengthBytes: entry.lengthBytes,
      terminated: entry.terminated,
      prefixBytes: prefix.length,
      prefixBase64: prefix.toString('base64'),
    })}\n`;
    this.chain = this.chain.then(async () => {
      try {
        if (!this.madeDir) {
          await makePrivateDir(dirname(this.path));
          this.madeDir = true;
        }
        await appendFile(this.path, line, { mode: PRIVATE_FILE_MODE });
      } catch (error) {
        this.onError(`writing a rejected line to the dead-letter file ${this.path} failed`, error);
      }
    });
    return this.chain;
  }
}
