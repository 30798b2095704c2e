/**
 * UdpConnection: Graphite lines as UDP datagrams of whole lines, each at most MAX_DATAGRAM_BYTES
 * (no IP fragmentation on common MTUs). There is no connection: a missing carbon loses the lines
 * silently unless its host answers ICMP port unreachable (then a send error is reported). A
 * single line longer than a datagram can never be sent and is dropped (reported).
 *
 * A host given by name is looked up once per flush and every datagram of the flush goes to that
 * address: handed the name, dgram would look it up again for each datagram (a DNS query each
 * where nothing caches them). Looking up every flush still follows a name that moves. A failed
 * lookup is reported and leaves the lines in the buffer for the next flush.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import type { GraphiteConnection, GraphiteConnectionEvents } from './graphite-connection.js';
import type { LineBuffer } from './line-buffer.js';

/** Largest UDP payload sent: below a 1500-byte Ethernet MTU minus IP and UDP headers. */
export const MAX_DATAGRAM_BYTES = 1400;

/** dns.lookup's shape for one address of one family (tests count the calls). */
export type LookupAddress = (
  host: string,
  family: 4 | 6,
  callback: (error: NodeJS.ErrnoException | null, address: string) => void,
) => void;

const lookupAddress: LookupAddress = (host, family, callback) => dns.lookup(host, { family }, callback);

export class UdpConnection implements GraphiteConnection {
  readonly isConnected = false;
  private socket: dgram.Socket | undefined;
  private inFlight = 0;
  private closed = false;
  /** A lookup of the host name is on its way: the flush sends when it answers. */
  private resolving = false;

  constructor(
    private readonly target: { readonly host: string; readonly port: number },
    private readonly buffer: LineBuffer,
    private readonly events: GraphiteConnectionEvents,
    private readonly lookup: LookupAddress = lookupAddress,
  ) {}

  get idle(): boolean {
    return this.inFlight === 0;
  }

  pump(): void {
    if (this.closed || this.resolving || this.buffer.size === 0) return;
    const { host } = this.target;
    if (net.isIP(host) !== 0) {
      this.send(host);
      return;
    }
    this.resolving = true;
    // A name is sent from a udp4 socket (send() makes it so), so it is looked up as IPv4.
    this.lookup(host, 4, (error, address) => {
      this.resolving = false;
      if (this.closed) return;
      if (error) {
        this.events.onError(error);
        this.events.onProgress();
        return;
      }
      this.send(address);
    });
  }

  /** Sends every buffered line, in datagrams of whole lines, to `address`. */
  private send(address: string): void {
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
      socket.send(payload, port, address, (error) => {
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
