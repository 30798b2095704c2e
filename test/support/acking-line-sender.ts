/**
 * AckingLineSender: the upstream of the socket crash tests. A TCP server that sends numbered
 * lines (`line-<n>`) to whichever receiver is connected, reads its `ack <count>` replies and
 * records which lines were acknowledged. Like a real sender it keeps what was not acknowledged
 * and sends it again on the next connection, so a crash of the receiver may duplicate lines but
 * must not lose an acknowledged one.
 */
import net from 'node:net';

export class AckingLineSender {
  readonly acked = new Set<number>();
  sent = 0;
  connections = 0;
  private next = 0;
  private resend: number[] = [];
  private server: net.Server | undefined;
  private producing = true;
  private readonly sockets = new Set<net.Socket>();

  /** `linesPerTick` lines every `tickMs` to the connected receiver. */
  constructor(
    private readonly linesPerTick = 20,
    private readonly tickMs = 20,
  ) {}

  async listen(): Promise<number> {
    const server = net.createServer((socket) => this.serve(socket));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as net.AddressInfo).port;
  }

  /** Stops producing new lines (unacknowledged ones are still re-sent on reconnect). */
  stopProducing(): void {
    this.producing = false;
  }

  /** Lines sent but never acknowledged so far (in flight, or waiting to be re-sent). */
  get unacknowledged(): number {
    return this.next - this.acked.size;
  }

  private serve(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    // Lines sent on this connection, in order: `ack n` covers the first n of them.
    const onThis: number[] = [...this.resend];
    this.resend = [];
    let ackedCount = 0;
    if (onThis.length > 0) socket.write(`${onThis.map((n) => `line-${n}`).join('\n')}\n`);
    this.sent += onThis.length;
    const timer = setInterval(() => {
      if (!this.producing || socket.destroyed) return;
      const batch: number[] = [];
      for (let i = 0; i < this.linesPerTick; i++) batch.push(this.next++);
      onThis.push(...batch);
      this.sent += batch.length;
      socket.write(`${batch.map((n) => `line-${n}`).join('\n')}\n`);
    }, this.tickMs);
    let rest = '';
    socket.on('data', (d) => {
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) {
        const m = /^ack (\d+)$/.exec(part);
        if (!m) continue;
        const count = Number(m[1]);
        for (let i = ackedCount; i < count && i < onThis.length; i++) this.acked.add(onThis[i]!);
        ackedCount = Math.max(ackedCount, count);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      this.sockets.delete(socket);
      // Keep what this receiver never acknowledged, for the next one.
      this.resend.push(...onThis.slice(ackedCount).filter((n) => !this.acked.has(n)));
    });
  }

  async close(): Promise<void> {
    this.producing = false;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
