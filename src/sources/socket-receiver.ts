/**
 * socketTextStream's receiver: connects to host:port as a TCP client and stores every line
 * (without its \n or \r\n). When the connection fails or the peer closes it, the receiver asks
 * for a restart, so it reconnects after the supervisor's backoff, as Spark's SocketReceiver does.
 *
 * With `ack`, the receiver writes `ack <n>\n` back on the connection once the first n lines it
 * received on that connection are stored (in the write-ahead log when it is on): a sender that
 * keeps what is not yet acknowledged and re-sends it after a reconnect loses nothing.
 * While the receiver is held back (rate limit, full block queue) the socket is paused, so TCP
 * flow control pushes back on the sender.
 */
import { Socket } from 'node:net';
import { Receiver } from '../receiver/receiver.js';

export interface SocketReceiverOptions {
  /** Acknowledge stored lines to the sender with `ack <count>\n`; default false. */
  ack?: boolean;
}

export class SocketReceiver extends Receiver<string> {
  private socket: Socket | undefined;
  private isConnected = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly options: SocketReceiverOptions = {},
  ) {
    super();
  }

  get connected(): boolean {
    return this.isConnected;
  }

  onStart(): void {
    const socket = new Socket();
    this.socket = socket;
    let partial = '';
    let received = 0;
    const store = (lines: string[]) => {
      received += lines.length;
      const count = received;
      const onStored = this.options.ack
        ? () => {
            if (!socket.destroyed) socket.write(`ack ${count}\n`);
          }
        : undefined;
      socket.pause();
      void this.storeMany(lines, onStored).then(() => {
        if (!socket.destroyed) socket.resume();
      });
    };
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      this.isConnected = true;
    });
    socket.on('data', (chunk: string) => {
      const text = partial + chunk;
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      if (lines.length > 0) store(lines.map(stripCr));
    });
    socket.on('end', () => {
      if (partial.length > 0) store([stripCr(partial)]);
      partial = '';
    });
    socket.on('error', (error) => {
      this.isConnected = false;
      if (this.socket === socket) this.restart(`error on socket ${this.host}:${this.port}`, error);
    });
    socket.on('close', () => {
      this.isConnected = false;
      if (this.socket === socket && !this.isStopped())
        this.restart(`socket ${this.host}:${this.port} closed; no more data`);
    });
    socket.connect(this.port, this.host);
  }

  onStop(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.isConnected = false;
    socket?.destroy();
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
