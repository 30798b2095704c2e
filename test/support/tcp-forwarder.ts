/**
 * A TCP forwarder that can add latency: it listens on one address and relays every connection to
 * a target, holding each chunk of bytes, in either direction, for the current delay before it
 * passes it on (in order). Network namespaces reach the services on 127.0.0.1 through it
 * (network-namespace.ts), and it is what delays their traffic: this machine's kernel has no netem
 * qdisc (CONFIG_NET_SCH_NETEM is off), so `tc ... netem delay` is not available.
 *
 * A delay of D adds D to each direction: about 2D to a request and its response, and D to the
 * time a new connection takes to reach the target (the forwarder connects upstream after D).
 */
import net from 'node:net';

export interface TcpForwarderOptions {
  readonly listenHost: string;
  readonly listenPort: number;
  readonly targetHost: string;
  readonly targetPort: number;
}

export interface TcpForwarder {
  readonly listenHost: string;
  readonly listenPort: number;
  /** The delay each chunk is held for now, in ms. */
  delayMs(): number;
  /** Holds every chunk from now on (and each new upstream connection) for `ms`; 0 relays at once. */
  setDelay(ms: number): void;
  /** Connections relayed now. */
  openConnections(): number;
  /** Stops listening and cuts every relayed connection. */
  close(): Promise<void>;
}

/**
 * One direction of a relayed connection: chunks wait in order until they are due, so a delay that
 * changes mid-stream never reorders bytes.
 */
function delayedPipe(from: net.Socket, to: net.Socket, delay: () => number): void {
  const queue: { chunk: Buffer; due: number }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const flush = () => {
    timer = undefined;
    const now = Date.now();
    while (queue.length > 0 && (queue[0]?.due ?? 0) <= now) {
      const next = queue.shift();
      if (next && !to.destroyed) to.write(next.chunk);
    }
    if (queue.length > 0) {
      timer = setTimeout(flush, Math.max(0, (queue[0]?.due ?? now) - Date.now()));
    } else if (ended && !to.destroyed) {
      to.end();
    }
  };
  from.on('data', (chunk: Buffer) => {
    const ms = delay();
    if (ms <= 0 && queue.length === 0) {
      to.write(chunk);
      return;
    }
    queue.push({ chunk, due: Date.now() + ms });
    timer ??= setTimeout(flush, Math.max(0, ms));
  });
  from.on('end', () => {
    ended = true;
    if (queue.length === 0 && !to.destroyed) to.end();
  });
  from.on('close', () => {
    if (timer !== undefined && to.destroyed) clearTimeout(timer);
  });
}

/** Starts listening; resolves once the listening socket is bound. */
export async function startTcpForwarder(options: TcpForwarderOptions): Promise<TcpForwarder> {
  let delay = 0;
  const sockets = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = net.createServer((downstream) => {
    track(downstream);
    clients.add(downstream);
    downstream.once('close', () => clients.delete(downstream));
    // Nothing is read from the client until the upstream connection exists, so nothing is lost.
    downstream.pause();
    const connect = () => {
      if (downstream.destroyed) return;
      const upstream = net.createConnection({ host: options.targetHost, port: options.targetPort });
      track(upstream);
      // Either side failing or closing cuts the other, as a relay without buffers of its own would.
      upstream.once('error', () => downstream.destroy());
      downstream.once('error', () => upstream.destroy());
      upstream.once('close', () => downstream.destroy());
      downstream.once('close', () => upstream.destroy());
      upstream.once('connect', () => {
        delayedPipe(downstream, upstream, () => delay);
        delayedPipe(upstream, downstream, () => delay);
        downstream.resume();
      });
    };
    if (delay > 0) setTimeout(connect, delay);
    else connect();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listenPort, options.listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    listenHost: options.listenHost,
    listenPort: options.listenPort,
    delayMs: () => delay,
    setDelay(ms: number) {
      delay = Math.max(0, ms);
    },
    openConnections: () => clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
