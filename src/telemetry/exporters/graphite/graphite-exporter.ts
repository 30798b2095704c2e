/**
 * GraphiteExporter: sends each snapshot the metrics pipeline hands it to carbon in the plaintext
 * line protocol: rendered by renderGraphiteLines, queued in a bounded LineBuffer, drained by a
 * TcpConnection or UdpConnection. The pipeline gives it one snapshot per completed batch (stamped
 * with the batch time, so points line up with batch boundaries) and a last one on stop (stamped
 * with the stop time); it never reads the registry itself.
 *
 * It never blocks or throws into the engine: export() renders and queues lines, hands them to
 * the connection and returns; sending is fire-and-forget. The buffer holds at most
 * `maxBufferedLines`; when full the OLDEST lines are dropped. Every failed connect, socket error
 * or send error, and every dropped line, adds one to
 * `sidestream_exporter_errors_total{exporter="graphite"}` (the catalogue has no separate series
 * for dropped points; `stats` splits them).
 */
import type { Registry, RegistryContentType } from 'prom-client';
import type { GraphiteNameOptions } from '../../graphite-naming.js';
import { exporterErrorsCounter } from '../../instruments.js';
import type { MetricsSnapshot } from '../../metrics-snapshot.js';
import type { MetricsExporter } from '../metrics-exporter.js';
import type { GraphiteConnection, GraphiteConnectionEvents } from './graphite-connection.js';
import type { GraphiteTarget } from './graphite-target.js';
import { LineBuffer } from './line-buffer.js';
import { renderGraphiteLines } from './render-graphite-lines.js';
import { TcpConnection } from './tcp-connection.js';
import { UdpConnection } from './udp-connection.js';

export const DEFAULT_MAX_BUFFERED_LINES = 10_000;

export interface GraphiteExporterOptions extends GraphiteNameOptions {
  readonly target: GraphiteTarget;
  /** The registry whose sidestream_exporter_errors_total counts this exporter's failures. */
  readonly registry: Registry<RegistryContentType>;
  /** Lines kept while carbon is unreachable; the oldest go first. Default 10 000. */
  readonly maxBufferedLines?: number;
  /** First reconnect delay; default 200 ms. */
  readonly reconnectMinMs?: number;
  /** Largest reconnect delay; default 30 s. */
  readonly reconnectMaxMs?: number;
  /** A TCP connect that takes longer fails; default 5 s. */
  readonly connectTimeoutMs?: number;
  /** For tests: the jitter source, default Math.random. */
  readonly random?: () => number;
}

export interface GraphiteExporterStats {
  /** Lines handed to the socket. */
  sentLines: number;
  /** Lines dropped because the buffer was full (also counted in the errors metric). */
  droppedLines: number;
  /** Failed connects, socket errors and send errors (also counted in the errors metric). */
  errors: number;
  /** Successful TCP connects. */
  connects: number;
  /** Lines waiting in the buffer. */
  bufferedLines: number;
  /** Snapshots rendered (batches plus the final one). */
  flushes: number;
}

export class GraphiteExporter implements MetricsExporter {
  readonly name = 'graphite';
  private readonly buffer: LineBuffer;
  private readonly connection: GraphiteConnection;
  private readonly errorsMetric;
  private readonly stats_: GraphiteExporterStats = {
    sentLines: 0,
    droppedLines: 0,
    errors: 0,
    connects: 0,
    bufferedLines: 0,
    flushes: 0,
  };
  /** False from stop() on: later snapshots are ignored. */
  private accepting = true;
  private closing: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: GraphiteExporterOptions) {
    const max = options.maxBufferedLines ?? DEFAULT_MAX_BUFFERED_LINES;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxBufferedLines must be >= 1, not ${max}`);
    this.buffer = new LineBuffer(max);
    this.errorsMetric = exporterErrorsCounter(options.registry);
    this.errorsMetric.inc({ app: options.app, exporter: this.name }, 0);
    const events: GraphiteConnectionEvents = {
      onError: () => this.countError(),
      onDropped: (n) => this.countDropped(n),
      onSent: (n) => {
        this.stats_.sentLines += n;
      },
      onConnect: () => {
        this.stats_.connects++;
      },
      onProgress: () => this.wakeIdle(),
    };
    const { target } = options;
    const reconnectMinMs = options.reconnectMinMs ?? 200;
    this.connection =
      target.protocol === 'udp'
        ? new UdpConnection(target, this.buffer, events)
        : new TcpConnection(
            {
              host: target.host,
              port: target.port,
              reconnectMinMs,
              reconnectMaxMs: Math.max(reconnectMinMs, options.reconnectMaxMs ?? 30_000),
              connectTimeoutMs: options.connectTimeoutMs ?? 5000,
              random: options.random ?? Math.random,
            },
            this.buffer,
            events,
          );
  }

  /** A copy of the counters, for tests and the docs' measurements. */
  get stats(): GraphiteExporterStats {
    return { ...this.stats_, bufferedLines: this.buffer.size };
  }

  get isConnected(): boolean {
    return this.connection.isConnected;
  }

  /** Queues one line per series (six per histogram series) and starts sending; never throws. */
  export(snapshot: MetricsSnapshot): void {
    if (!this.accepting) return;
    let lines: string[];
    try {
      lines = renderGraphiteLines(snapshot, this.options);
    } catch {
      this.countError();
      return;
    }
    this.stats_.flushes++;
    let dropped = 0;
    for (const l of lines) dropped += this.buffer.push(l);
    if (dropped > 0) this.countDropped(dropped);
    this.connection.pump();
  }

  /**
   * Waits up to `timeoutMs` for the buffer to be sent, then closes. Idempotent; never rejects.
   * Lines still buffered at the deadline are dropped (counted).
   */
  stop(timeoutMs = 2000): Promise<void> {
    this.closing ??= this.close(timeoutMs);
    return this.closing;
  }

  private async close(timeoutMs: number): Promise<void> {
    this.accepting = false;
    let deadline: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      if (this.isIdle()) return resolve();
      this.idleWaiters.push(resolve);
      deadline = setTimeout(() => this.wakeIdle(true), timeoutMs);
    });
    clearTimeout(deadline);
    const left = this.buffer.clear();
    if (left > 0) this.countDropped(left);
    await this.connection.close();
  }

  private isIdle(): boolean {
    return this.buffer.size === 0 && this.connection.idle;
  }

  private wakeIdle(force = false): void {
    if (this.idleWaiters.length === 0 || (!force && !this.isIdle())) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private countError(): void {
    this.stats_.errors++;
    this.errorsMetric.inc({ app: this.options.app, exporter: this.name });
  }

  private countDropped(n: number): void {
    this.stats_.droppedLines += n;
    this.errorsMetric.inc({ app: this.options.app, exporter: this.name }, n);
  }
}
