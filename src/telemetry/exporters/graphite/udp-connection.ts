/**
 * UdpConnection: Graphite lines as UDP datagrams of whole lines, each at most MAX_DATAGRAM_BYTES
 * (no IP fragmentation on common MTUs). There is no connection: a missing carbon loses the lines
 * silently unless its host answers ICMP port unreachable (then a send error is reported). A
 * single line longer than a datagram can never be sent and is dropped (reported).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { GraphiteConnection, GraphiteConnectionEvents } from './graphite-connection.js';
import type { LineBuffer } from './line-buffer.js';

/** Largest UDP payload sent: below a 1500-byte Ethernet MTU minus IP and UDP headers. */
export const MAX_DATAGRAM_BYTES = 1400;

export class UdpConnection implements GraphiteConnection {
  readonly isConnected = false;
  private socket: dgram.Socket | undefined;
  private inFlight = 0;
  private closed = false;

  constructor(
    private readonly target: { readonly host: string; readonly port: number },
    private readonly buffer: LineBuffer,
    private readonly events: GraphiteConnectionEvents,
  ) {}

  get idle(): boolean {
    return this.inFlight === 0;
  }

  pump(): void {
    if (this.closed) return;
    const { host, port } = this.target;
    if (!this.socket) {
      const created = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      created.on('error', (error) => this.events.onError(error));
      created.unref();
      this.socket = created;
    }
    const socket = this.socket;
    while (this.buffer.size > 0) {
      let payload = '';
      // Counted line by line: measuring the growing payload again for every line is quadratic.
      let bytes = 0;
      let lines = 0;
      while (this.buffer.size > 0) {
        const next = `${this.buffer.peek()}\n`;
        const nextBytes = Buffer.byteLength(next);
        if (bytes + nextBytes > MAX_DATAGRAM_BYTES) {
          if (payload === '') {
            // One line longer than a datagram: it cannot be sent at all.
            this.buffer.shift();
            this.events.onDropped(1);
            continue;
          }
          break;
        }
        payload += next;
        bytes += nextBytes;
        lines++;
        this.buffer.shift();
      }
      if (payload === '') continue;
      this.inFlight++;
      socket.send(payload, port, host, (error) => {
        this.inFlight--;
        if (error) this.events.onError(error);
        else this.events.onSent(lines);
        this.events.onProgress();
      });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.socket?.close();
    this.socket = undefined;
  }
}
