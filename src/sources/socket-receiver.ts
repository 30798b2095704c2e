/**
 * socketTextStream's receiver: connects to host:port as a TCP client and stores every line
 * (without its \n or \r\n). When the connection fails or the peer closes it, the receiver asks
 * for a restart, so it reconnects after the supervisor's delay, as Spark's SocketReceiver does.
 */
import { Socket } from 'node:net';
import { Receiver } from '../receiver/receiver.js';

export class SocketReceiver extends Receiver<string> {
  private socket: Socket | undefined;
  private isConnected = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
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
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      this.isConnected = true;
    });
    socket.on('data', (chunk: string) => {
      const text = partial + chunk;
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      this.storeMany(lines.map(stripCr));
    });
    socket.on('end', () => {
      if (partial.length > 0) this.store(stripCr(partial));
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
