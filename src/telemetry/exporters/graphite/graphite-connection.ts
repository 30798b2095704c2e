/**
 * GraphiteConnection: how the Graphite exporter's lines leave the process, TCP (TcpConnection)
 * or UDP (UdpConnection). A connection takes lines out of the exporter's LineBuffer as fast as
 * its socket accepts them and reports what happened through GraphiteConnectionEvents; it never
 * throws to its caller and never blocks it.
 */

export interface GraphiteConnectionEvents {
  /** A failed connect, a socket error or a send error. */
  onError(error: unknown): void;
  /** Lines taken from the buffer that can never be sent (one longer than a datagram). */
  onDropped(lines: number): void;
  /** Lines handed to the socket. */
  onSent(lines: number): void;
  /** A TCP connection came up. */
  onConnect(): void;
  /** A write, a datagram or a close finished: whoever waits for `idle` should look again. */
  onProgress(): void;
}

export interface GraphiteConnection {
  /** A TCP connection is up (always false for UDP, which has none). */
  readonly isConnected: boolean;
  /** Nothing taken from the buffer is still on its way (no write waiting to drain, no datagram in flight). */
  readonly idle: boolean;
  /** Sends what the buffer holds, as far as the socket allows now; connects first when needed. */
  pump(): void;
  /** No more connects or sends; ends the socket within a bounded time. Never rejects. */
  close(): Promise<void>;
}
