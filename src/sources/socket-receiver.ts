/**
 * socketTextStream's receiver: connects to host:port as a TCP client and stores every line
 * (without its \n or \r\n). When the connection fails or the peer closes it, the receiver asks
 * for a restart, so it reconnects after the supervisor's backoff, as Spark's SocketReceiver does.
 *
 * Lines are split from the raw bytes (LineSplitter): invalid UTF-8 becomes U+FFFD in its own
 * line's text, and a line longer than `maxLineBytes` is never buffered whole. It is dropped as
 * its bytes arrive, reported once as a `LineTooLong` record error (line n of connection c),
 * written to the dead-letter file when one is set, and the lines after it are delivered. A
 * peer sending one endless line therefore costs at most the bound in memory, not its length.
 *
 * With `ack`, the receiver writes `ack <n>\n` back on the connection once the first n lines it
 * received on that connection are stored (in the write-ahead log when it is on). A rejected line
 * counts among those n: it is dealt with (reported, dead-lettered), and sending it again would
 * only have it rejected again. A sender that keeps what is not yet acknowledged and re-sends it
 * after a reconnect loses nothing. While the receiver is held back (rate limit, full block
 * queue) the socket is paused, so TCP flow control pushes back on the sender.
 *
 * Its connection, as the stream reports it: not connected while a connect is under way
 * (`connecting to host:port`), connected from the TCP connect until the socket fails or closes
 * (then the receiver restarts, which the supervisor reports with the socket's error). The connect
 * and every read count as an answer from the upstream. A connected socket whose sender is silent
 * stays connected: silence is not a failure.
 */
import { connect, type Socket } from 'node:net';
import { Receiver } from '../receiver/receiver.js';
import { DeadLetterFile } from './dead-letter-file.js';
import { LineSplitter, maxLineBytesOption } from './line-splitter.js';
import { RejectedLineReporter } from './rejected-line-reporter.js';

/** One read's buffer, reused for every read of a connection (the size of a socket read in Node). */
const READ_BUFFER_BYTES = 64 * 1024;

export interface SocketReceiverOptions {
  /** Acknowledge stored lines to the sender with `ack <count>\n`; default false. */
  ack?: boolean;
  /**
   * Longest line taken in, in bytes (its \n or \r\n not counted); a longer one is dropped and
   * counted as a `LineTooLong` record error. Default 1 MiB; from 16 bytes to 256 MiB.
   */
  maxLineBytes?: number;
  /**
   * Append each rejected line (its first bytes, at most 4 KiB, and its length; one JSON object
   * per line) to this file, created with mode 0600. Default: none, rejected lines are only counted.
   */
  deadLetterPath?: string;
}

export class SocketReceiver extends Receiver<string> {
  private socket: Socket | undefined;
  private isConnected = false;
  private connections = 0;
  private readonly maxLineBytes: number;
  private readonly rejected: RejectedLineReporter;
  private readonly deadLetter: DeadLetterFile | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly options: SocketReceiverOptions = {},
  ) {
    super();
    const name = `socket:${host}:${port}`;
    this.maxLineBytes = maxLineBytesOption(options.maxLineBytes, name);
    this.deadLetter =
      options.deadLetterPath === undefined
        ? undefined
        : new DeadLetterFile(options.deadLetterPath, (message, error) => this.reportError(message, error));
    this.rejected = new RejectedLineReporter({
      stream: name,
      maxLineBytes: this.maxLineBytes,
      report: (errorType, reason, details) => this.reportRecordError(errorType, reason, details),
      deadLetter: this.deadLetter,
    });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  onStart(): void {
    const connection = ++this.connections;
    const splitter = new LineSplitter({
      maxLineBytes: this.maxLineBytes,
      keepHeadBytes: this.rejected.keepHeadBytes,
    });
    const lines: string[] = [];
    const out = this.rejected.collect(
      lines,
      (l) => `line ${l.lineNumber} of connection ${connection} (from byte ${l.startByte})`,
    );
    let handedOver = 0;
    // Stores what the last push or end delivered; with ack, also acknowledges rejected lines.
    const store = () => {
      const settled = splitter.linesEnded;
      const newlySettled = settled > handedOver;
      handedOver = settled;
      if (lines.length === 0 && !(this.options.ack && newlySettled)) return;
      const items = lines.splice(0);
      const onStored = this.options.ack
        ? () => {
            if (!socket.destroyed) socket.write(`ack ${settled}\n`);
          }
        : undefined;
      socket.pause();
      void this.storeMany(items, onStored).then(() => {
        if (!socket.destroyed) socket.resume();
      });
    };
    // Every read lands in this one buffer (onread): no allocation per chunk, so a flood of bytes
    // leaves no garbage behind it. The splitter copies what it keeps before the next read.
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const socket = connect({
      port: this.port,
      host: this.host,
      onread: {
        buffer: readBuffer,
        callback: (bytes) => {
          this.reportResponse();
          splitter.push(readBuffer.subarray(0, bytes), out);
          store();
          return true;
        },
      },
    });
    this.socket = socket;
    this.reportDisconnected(`connecting to ${this.host}:${this.port}`, { pending: true });
    socket.on('connect', () => {
      this.isConnected = true;
      this.reportConnected();
      this.reportResponse();
    });
    socket.on('end', () => {
      splitter.end(out);
      store();
    });
    socket.on('error', (error) => {
      this.isConnected = false;
      if (this.socket === socket) this.restart(`error on socket ${this.host}:${this.port}`, error);
    });
    socket.on('close', () => {
      this.isConnected = false;
      // An unfinished line is lost with the connection (as before); an over-long one still
      // gets its dead-letter entry.
      splitter.drop(out);
      if (this.socket === socket && !this.isStopped())
        this.restart(`socket ${this.host}:${this.port} closed; no more data`);
    });
  }

  onStop(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.isConnected = false;
    socket?.destroy();
  }
}
