/**
 * TcpConnection: one persistent TCP connection to carbon's line receiver, opened at the first
 * pump(). A connect that does not complete within the connect timeout fails. After any failure
 * it reconnects on its own with exponential backoff (reconnectMinMs doubling up to
 * reconnectMaxMs) and equal jitter (each delay drawn uniformly from [d/2, d]), so a fleet of
 * agents does not hammer a carbon that comes back. While it is down, lines wait in the
 * exporter's bounded buffer. Lines written into a connection that then breaks may be lost: the
 * line protocol gives the sender no acknowledgement.
 */
import net from 'node:net';
import type { GraphiteConnection, GraphiteConnectionEvents } from './graphite-connection.js';
import type { LineBuffer } from './line-buffer.js';

export interface TcpConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly connectTimeoutMs: number;
  /** The jitter source, values in [0, 1). */
  readonly random: () => number;
}

/** Bytes of lines joined into one write. */
const TCP_CHUNK_BYTES = 64 * 1024;

export class TcpConnection implements GraphiteConnection {
  private socket: net.Socket | undefined;
  private connected = false;
  /** The kernel buffer was full: waiting for 'drain' before writing more. */
  private writing = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failedAttempts = 0;
  /** Set by close(): no more connects. */
  private closed = false;

  constructor(
    private readonly options: TcpConnectionOptions,
    private readonly buffer: LineBuffer,
    private readonly events: GraphiteConnectionEvents,
  ) {}

  get isConnected(): boolean {
    return this.connected;
  }

  get idle(): boolean {
    return !this.writing;
  }

  pump(): void {
    if (this.connected) {
      this.write();
      return;
    }
    if (!this.socket && !this.reconnectTimer && !this.closed) this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.connected = false;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      socket.end(() => resolve());
      setTimeout(resolve, 500).unref();
    });
    socket.destroy();
  }

  private connect(): void {
    const { host, port } = this.options;
    const socket = net.createConnection({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(this.options.connectTimeoutMs, () => {
      if (!this.connected) socket.destroy(new Error(`connect to ${host}:${port} timed out`));
    });
    socket.once('connect', () => {
      socket.setTimeout(0);
      this.connected = true;
      this.failedAttempts = 0;
      this.events.onConnect();
      this.write();
    });
    socket.on('error', (error) => this.events.onError(error));
    // carbon never writes to us; reading keeps 'end' (the server closing) observable.
    socket.on('data', () => {});
    socket.once('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connected = false;
      this.writing = false;
      this.scheduleReconnect();
      this.events.onProgress();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const { reconnectMinMs, reconnectMaxMs } = this.options;
    const delay = reconnectDelayMs(
      this.failedAttempts,
      reconnectMinMs,
      reconnectMaxMs,
      this.options.random(),
    );
    this.failedAttempts++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed && !this.socket) this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private write(): void {
    const socket = this.socket;
    if (!socket || !this.connected || this.writing) return;
    while (this.buffer.size > 0) {
      let chunk = '';
      let n = 0;
      while (this.buffer.size > 0 && chunk.length < TCP_CHUNK_BYTES) {
        chunk += `${this.buffer.shift()}\n`;
        n++;
      }
      this.events.onSent(n);
      const more = socket.write(chunk, (error) => {
        if (error) this.events.onError(error);
      });
      if (!more) {
        // The kernel buffer is full: wait, and keep lines in the bounded buffer meanwhile.
        this.writing = true;
        socket.once('drain', () => {
          this.writing = false;
          this.write();
          this.events.onProgress();
        });
        return;
      }
    }
    this.events.onProgress();
  }
}

/**
 * The wait before reconnect attempt `failedAttempts + 1`: exponential (minMs doubling per failure,
 * capped at maxMs) with equal jitter, uniformly in [d/2, d] for `random` in [0, 1).
 */
export function reconnectDelayMs(
  failedAttempts: number,
  minMs: number,
  maxMs: number,
  random: number,
): number {
  const d = Math.min(maxMs, minMs * 2 ** Math.min(failedAttempts, 30));
  return d / 2 + (d / 2) * random;
}
