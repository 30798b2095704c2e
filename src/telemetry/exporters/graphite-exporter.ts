/**
 * GraphiteExporter: pushes the catalogue's metrics to carbon in the plaintext line protocol
 * (`<name> <value> <epoch seconds>\n`), once per completed batch and once more on stop.
 *
 * It owns a connection (TCP) or a socket (UDP) and a bounded line buffer; it only READS the
 * prom-client registry (each sent metric's get()) and names every series with graphiteName(), the one
 * mapping function. It sends the catalogue's metrics and the job's own (ssc.metrics: the name
 * unchanged, labels in declaration order after `app`); prom-client's process metrics (process_*,
 * nodejs_*) stay on /metrics only.
 *
 * - Timing: a flush runs from onBatchCompleted with the timestamp = the batch time (seed 003:
 *   "written to Graphite every batch interval", aligned to batch boundaries), and stop() sends a
 *   last one stamped with the stop time.
 * - Histograms: count, sum, avg (= sum / count) and, when count > 0, p50 and p99 estimated by linear
 *   interpolation inside the cumulative bucket that holds the rank (Prometheus' histogram_quantile;
 *   the first bucket's lower bound is 0; a rank in +Inf yields the highest finite bound), and max =
 *   the upper bound of the highest non-empty bucket (an upper bound of the true maximum; the largest
 *   finite bound when the highest observation fell in +Inf). Observed maxima are not tracked.
 * - Never blocks or throws into the engine: flush() only queues lines and returns; sending is
 *   fire-and-forget. The buffer holds at most `maxBufferedLines`; when full the OLDEST lines are
 *   dropped. Every failed connect, socket error or send error, and every dropped line, adds one to
 *   `sidestream_exporter_errors_total{exporter="graphite"}` (dropped points are folded into the
 *   errors counter, as CONTRACT.md's catalogue has no separate series; `stats` splits them).
 * - TCP: one persistent connection, opened at the first flush; after an error it reconnects with
 *   exponential backoff (reconnectMinMs doubling up to reconnectMaxMs) and equal jitter (a delay is
 *   uniformly drawn from [d/2, d]). Lines written into a connection that then breaks may be lost:
 *   TCP gives the sender no acknowledgement from carbon.
 * - UDP: datagrams of whole lines, each under 1400 bytes (no IP fragmentation on common MTUs); no
 *   connection, so a missing carbon loses the lines silently unless the host answers ICMP.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Registry, RegistryContentType } from 'prom-client';
import type { CompletedBatchRecord } from '../../engine/batch-record.js';
import type { StreamingListener } from '../../engine/streaming-listener.js';
import { type GraphiteMetric, type GraphiteNameOptions, graphiteName } from '../graphite-naming.js';
import { exporterErrorsCounter } from '../instruments.js';
import { METRICS } from '../metrics.js';

export interface GraphiteTarget {
  readonly protocol: 'tcp' | 'udp';
  readonly host: string;
  readonly port: number;
}

const GRAPHITE_URL = /^(tcp|udp):\/\/(?:\[([^\]]+)\]|([^:/\s[\]]+)):(\d{1,5})\/?$/;

/** Parses `tcp://HOST:PORT` or `udp://HOST:PORT` (`[::1]` for IPv6); undefined when malformed. */
export function parseGraphiteUrl(input: string): GraphiteTarget | undefined {
  const m = GRAPHITE_URL.exec(input.trim());
  if (!m) return undefined;
  const port = Number(m[4]);
  if (port < 1 || port > 65_535) return undefined;
  return { protocol: m[1] as 'tcp' | 'udp', host: m[2] ?? m[3]!, port };
}

export const DEFAULT_MAX_BUFFERED_LINES = 10_000;
/** Largest UDP payload sent: below a 1500-byte Ethernet MTU minus IP and UDP headers. */
export const MAX_DATAGRAM_BYTES = 1400;

export interface GraphiteExporterOptions extends GraphiteNameOptions {
  readonly target: GraphiteTarget;
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
  /** For tests: the clock of stop()'s final flush, default Date.now. */
  readonly now?: () => number;
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
  /** Flushes run (batches plus the final one). */
  flushes: number;
}

type JsonMetric = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];
type JsonValue = { value: number; labels: Record<string, string | number>; metricName?: string };

/** A fixed-capacity FIFO of lines that drops its oldest entries when full. */
class LineBuffer {
  private readonly items: (string | undefined)[];
  private head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(capacity);
  }

  /** Appends; returns how many old lines were dropped to make room. */
  push(line: string): number {
    let dropped = 0;
    if (this.size === this.capacity) {
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      dropped = 1;
    }
    this.items[(this.head + this.size) % this.capacity] = line;
    this.size++;
    return dropped;
  }

  shift(): string | undefined {
    if (this.size === 0) return undefined;
    const line = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    return line;
  }

  peek(): string | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }
}

const CATALOGUE = new Map<string, GraphiteMetric>(METRICS.map((m) => [m.name, m]));

/** prom-client's default metrics: served on /metrics only, never sent to Graphite. */
const isProcessMetric = (name: string) => name.startsWith('process_') || name.startsWith('nodejs_');

/** Bytes of lines joined into one TCP write. */
const TCP_CHUNK_BYTES = 64 * 1024;

export class GraphiteExporter implements StreamingListener {
  private readonly buffer: LineBuffer;
  private readonly errorsMetric;
  private readonly stats_: GraphiteExporterStats = {
    sentLines: 0,
    droppedLines: 0,
    errors: 0,
    connects: 0,
    bufferedLines: 0,
    flushes: 0,
  };
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private readonly connectTimeoutMs: number;
  private socket: net.Socket | undefined;
  private connected = false;
  private writing = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failedAttempts = 0;
  private udp: dgram.Socket | undefined;
  private udpInFlight = 0;
  private flushing: Promise<void> = Promise.resolve();
  /** Set once everything is closed: no more connects. */
  private stopped = false;
  /** False from the final flush on: later flushes are ignored. */
  private accepting = true;
  private closing: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: GraphiteExporterOptions) {
    const max = options.maxBufferedLines ?? DEFAULT_MAX_BUFFERED_LINES;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxBufferedLines must be >= 1, not ${max}`);
    this.buffer = new LineBuffer(max);
    this.errorsMetric = exporterErrorsCounter(options.registry);
    this.errorsMetric.inc({ app: options.app, exporter: 'graphite' }, 0);
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.reconnectMinMs = options.reconnectMinMs ?? 200;
    this.reconnectMaxMs = Math.max(this.reconnectMinMs, options.reconnectMaxMs ?? 30_000);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  }

  /** A copy of the counters, for tests and the docs' measurements. */
  get stats(): GraphiteExporterStats {
    return { ...this.stats_, bufferedLines: this.buffer.size };
  }

  get isConnected(): boolean {
    return this.connected;
  }

  onBatchCompleted(batch: CompletedBatchRecord): void {
    void this.flush(batch.batchTime);
  }

  /**
   * Reads the registry and queues one line per series (six per histogram series) stamped
   * `timeMs` (floored to whole seconds). Resolves once the lines are queued, not sent; never rejects.
   */
  flush(timeMs: number): Promise<void> {
    if (!this.accepting) return this.flushing;
    // Start reading now (prom-client reads plain metrics' values synchronously when get() is
    // called), so a batch's flush carries that batch's values even if the event loop is busy.
    const read = this.readSent();
    // Awaited only after earlier flushes; a rejection meanwhile must not count as unhandled.
    read.catch(() => {});
    const next = this.flushing.then(async () => {
      try {
        const lines = this.render(await read, Math.floor(timeMs / 1000));
        this.stats_.flushes++;
        this.enqueue(lines);
      } catch (error) {
        this.countError(error);
      }
    });
    this.flushing = next;
    return next;
  }

  /**
   * The final flush (stamped now), then waits up to `timeoutMs` for the buffer to be sent, then
   * closes. Idempotent; never rejects. Lines still buffered at the deadline are dropped (counted).
   */
  async stop(timeoutMs = 2000): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = this.close(timeoutMs);
    return this.closing;
  }

  private async close(timeoutMs: number): Promise<void> {
    await this.flush(this.now());
    this.accepting = false;
    let deadline: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      if (this.isIdle()) return resolve();
      this.idleWaiters.push(resolve);
      deadline = setTimeout(() => this.wakeIdle(true), timeoutMs);
    });
    clearTimeout(deadline);
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const left = this.buffer.size;
    if (left > 0) this.countDropped(left);
    while (this.buffer.shift() !== undefined) {}
    const socket = this.socket;
    this.socket = undefined;
    this.connected = false;
    if (socket) {
      await new Promise<void>((resolve) => {
        socket.end(() => resolve());
        setTimeout(resolve, 500).unref();
      });
      socket.destroy();
    }
    this.udp?.close();
    this.udp = undefined;
  }

  /**
   * What getMetricsAsJSON() gives, for the metrics a flush sends only: process metrics are left
   * out before they are collected (their collect() reads process and V8 heap statistics, most
   * of a flush's cost when it ran every batch). The registry has no default labels (the agent
   * labels every metric with `app` itself), so nothing needs merging.
   */
  private readSent(): Promise<JsonMetric[]> {
    const registry = this.options.registry;
    try {
      const sent = (
        registry.getMetricsAsArray() as unknown as { name: string; get(): Promise<JsonMetric> }[]
      ).filter((m) => !isProcessMetric(m.name));
      return Promise.all(sent.map((m) => m.get()));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The lines of one flush: catalogue and job metrics, every series through graphiteName(). */
  render(metrics: readonly JsonMetric[], epochSeconds: number): string[] {
    const lines: string[] = [];
    const line = (metric: GraphiteMetric, labels: JsonValue['labels'], value: number, suffix?: string) => {
      if (!Number.isFinite(value)) return;
      lines.push(`${graphiteName(metric, labels, this.options, suffix)} ${value} ${epochSeconds}`);
    };
    for (const m of metrics) {
      const spec = CATALOGUE.get(m.name) ?? this.userMetric(m.name);
      if (!spec) continue;
      const values = m.values as unknown as JsonValue[];
      if (String(m.type) !== 'histogram') {
        for (const v of values) line(spec, v.labels, v.value);
        continue;
      }
      for (const h of groupHistogram(m.name, values)) {
        line(spec, h.labels, h.count, 'count');
        line(spec, h.labels, h.sum, 'sum');
        if (h.count <= 0) continue;
        line(spec, h.labels, h.sum / h.count, 'avg');
        line(spec, h.labels, histogramMax(h), 'max');
        line(spec, h.labels, histogramQuantile(0.5, h), 'p50');
        line(spec, h.labels, histogramQuantile(0.99, h), 'p99');
      }
    }
    return lines;
  }

  /** A job's own metric as the naming function sees it; undefined for process metrics. */
  private userMetric(name: string): GraphiteMetric | undefined {
    if (name.startsWith('sidestream_') || isProcessMetric(name)) return undefined;
    const metric = this.options.registry.getSingleMetric(name) as
      | { labelNames?: readonly string[] }
      | undefined;
    const labelNames = (metric?.labelNames ?? []).filter((l) => l !== 'app');
    return { name, labelNames };
  }

  private enqueue(lines: readonly string[]): void {
    let dropped = 0;
    for (const l of lines) dropped += this.buffer.push(l);
    if (dropped > 0) this.countDropped(dropped);
    this.pump();
  }

  private pump(): void {
    if (this.options.target.protocol === 'udp') {
      this.pumpUdp();
      return;
    }
    if (!this.connected) {
      if (!this.socket && !this.reconnectTimer && !this.stopped) this.connect();
      return;
    }
    this.writeTcp();
  }

  private connect(): void {
    const { host, port } = this.options.target;
    const socket = net.createConnection({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(this.connectTimeoutMs, () => {
      if (!this.connected) socket.destroy(new Error(`connect to ${host}:${port} timed out`));
    });
    socket.once('connect', () => {
      socket.setTimeout(0);
      this.connected = true;
      this.failedAttempts = 0;
      this.stats_.connects++;
      this.writeTcp();
    });
    socket.on('error', (error) => this.countError(error));
    // carbon never writes to us; reading keeps 'end' (the server closing) observable.
    socket.on('data', () => {});
    socket.once('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connected = false;
      this.writing = false;
      this.scheduleReconnect();
      this.wakeIdle();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = reconnectDelayMs(
      this.failedAttempts,
      this.reconnectMinMs,
      this.reconnectMaxMs,
      this.random(),
    );
    this.failedAttempts++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped && !this.socket) this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private writeTcp(): void {
    const socket = this.socket;
    if (!socket || !this.connected || this.writing) return;
    while (this.buffer.size > 0) {
      let chunk = '';
      let n = 0;
      while (this.buffer.size > 0 && chunk.length < TCP_CHUNK_BYTES) {
        chunk += `${this.buffer.shift()}\n`;
        n++;
      }
      this.stats_.sentLines += n;
      const more = socket.write(chunk, (error) => {
        if (error) this.countError(error);
      });
      if (!more) {
        // The kernel buffer is full: wait, and keep lines in our bounded buffer meanwhile.
        this.writing = true;
        socket.once('drain', () => {
          this.writing = false;
          this.writeTcp();
          this.wakeIdle();
        });
        return;
      }
    }
    this.wakeIdle();
  }

  private pumpUdp(): void {
    if (!this.udp) {
      const socket = dgram.createSocket(net.isIPv6(this.options.target.host) ? 'udp6' : 'udp4');
      socket.on('error', (error) => this.countError(error));
      socket.unref();
      this.udp = socket;
    }
    const udp = this.udp;
    const { host, port } = this.options.target;
    while (this.buffer.size > 0) {
      let payload = '';
      while (this.buffer.size > 0) {
        const next = `${this.buffer.peek()}\n`;
        if (Buffer.byteLength(payload + next) > MAX_DATAGRAM_BYTES) {
          if (payload === '') {
            // One line longer than a datagram: it cannot be sent at all.
            this.buffer.shift();
            this.countDropped(1);
            continue;
          }
          break;
        }
        payload += next;
        this.buffer.shift();
      }
      if (payload === '') continue;
      const lines = payload.split('\n').length - 1;
      this.udpInFlight++;
      udp.send(payload, port, host, (error) => {
        this.udpInFlight--;
        if (error) this.countError(error);
        else this.stats_.sentLines += lines;
        this.wakeIdle();
      });
    }
  }

  private isIdle(): boolean {
    if (this.options.target.protocol === 'udp') return this.buffer.size === 0 && this.udpInFlight === 0;
    return this.buffer.size === 0 && !this.writing;
  }

  private wakeIdle(force = false): void {
    if (this.idleWaiters.length === 0 || (!force && !this.isIdle())) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private countError(_error: unknown): void {
    this.stats_.errors++;
    this.errorsMetric.inc({ app: this.options.app, exporter: 'graphite' });
  }

  private countDropped(n: number): void {
    this.stats_.droppedLines += n;
    this.errorsMetric.inc({ app: this.options.app, exporter: 'graphite' }, n);
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

export interface HistogramSeries {
  readonly labels: Record<string, string | number>;
  /** Cumulative counts by upper bound, ascending, +Inf last. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly sum: number;
  readonly count: number;
}

/** Groups prom-client's flat histogram values (`_bucket` with `le`, `_sum`, `_count`) by series. */
export function groupHistogram(name: string, values: readonly JsonValue[]): HistogramSeries[] {
  const series = new Map<
    string,
    {
      labels: Record<string, string | number>;
      buckets: { le: number; count: number }[];
      sum: number;
      count: number;
    }
  >();
  for (const v of values) {
    const { le, ...labels } = v.labels;
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let s = series.get(key);
    if (!s) {
      s = { labels, buckets: [], sum: 0, count: 0 };
      series.set(key, s);
    }
    if (v.metricName === `${name}_bucket`) {
      s.buckets.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: v.value });
    } else if (v.metricName === `${name}_sum`) s.sum = v.value;
    else if (v.metricName === `${name}_count`) s.count = v.value;
  }
  for (const s of series.values()) s.buckets.sort((a, b) => a.le - b.le);
  return [...series.values()];
}

/**
 * The q-quantile by linear interpolation inside the bucket holding rank q * count (Prometheus'
 * histogram_quantile): lower bound 0 for the first bucket; a rank in +Inf gives the highest finite bound.
 */
export function histogramQuantile(q: number, h: HistogramSeries): number {
  if (h.count <= 0 || h.buckets.length === 0) return Number.NaN;
  const rank = q * h.count;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank && b.count > 0) {
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      if (inBucket <= 0) return b.le;
      return prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/** Upper bound of the highest non-empty bucket; the largest finite bound when that bucket is +Inf. */
export function histogramMax(h: HistogramSeries): number {
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= h.count && b.count > prevCount) return Number.isFinite(b.le) ? b.le : prevLe;
    prevLe = Number.isFinite(b.le) ? b.le : prevLe;
    prevCount = b.count;
  }
  return prevLe;
}
