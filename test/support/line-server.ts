/**
 * LineServer: a Graphite line-protocol (TCP) server a test controls: it collects the lines it
 * receives and can be killed (listener and connections) and started again on the same port.
 */
import net from 'node:net';

/** A line-protocol server we control: collects lines, can drop every connection and stop. */
export class LineServer {
  lines: string[] = [];
  connections = 0;
  private sockets = new Set<net.Socket>();
  private server: net.Server | undefined;

  async listen(port = 0): Promise<number> {
    const server = net.createServer((socket) => {
      this.connections++;
      this.sockets.add(socket);
      let rest = '';
      socket.on('data', (d) => {
        const parts = (rest + d.toString()).split('\n');
        rest = parts.pop() ?? '';
        this.lines.push(...parts);
      });
      socket.on('error', () => {});
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  /** Closes the listener and every open connection (a crashed carbon). */
  async kill(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

export async function freePort(): Promise<number> {
  const s = new LineServer();
  const port = await s.listen();
  await s.kill();
  return port;
}

/** Polls `cond` every 10 ms until it holds; throws after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
