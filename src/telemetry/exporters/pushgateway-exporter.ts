/**
 * PushgatewayExporter: pushes the agent's whole registry to a Prometheus Pushgateway, for short
 * jobs that may end before any scrape: once on stop (after the last batch) and, when an interval
 * is set, every interval while running. It only READS the registry.
 *
 * - It reads the registry at push time, not the metrics pipeline's per-batch snapshot
 *   (src/telemetry/metrics-pipeline.ts): a push stands in for a scrape, so it must show the
 *   state now (a stuck batch shows as a growing sidestream_batches_waiting, which the last
 *   batch's snapshot would freeze) and it carries the process metrics the snapshots leave out.
 * - prom-client's Pushgateway class does the HTTP: PUT /metrics/job/<app> (`push`), which
 *   replaces the group's metrics with this push's, so a series the agent dropped (a revoked
 *   partition) does not linger in the gateway.
 * - The body is rendered through MetricsRegistry.render() (Prometheus text), not straight from
 *   the prom-client Registry: render() serialises renders, so a concurrent OpenMetrics scrape
 *   cannot hand the gateway OpenMetrics text.
 * - Never stalls or breaks the engine: nothing awaits a push but stop(); a push still in flight
 *   when the next interval fires makes that one skip (no pile-up); each request has a timeout;
 *   every failed push adds one to `sidestream_exporter_errors_total{exporter="pushgateway"}`
 *   and is handed to `onPushFailed`, which the agent logs: the final push's failure has no later
 *   scrape or push to show it, so only a log line can.
 */
import { Pushgateway, type Registry, type RegistryContentType } from 'prom-client';
import { exporterErrorsCounter } from '../instruments.js';
import type { MetricsRegistry } from '../metrics-registry.js';

export interface PushgatewayExporterOptions {
  /** `http://HOST:PORT`, optionally with a path prefix. */
  readonly url: string;
  /** The job name (grouping key `job`): the app. */
  readonly app: string;
  readonly metrics: MetricsRegistry;
  /** Also push every this many ms while running; default: only on stop. */
  readonly intervalMs?: number;
  /** One push's HTTP timeout; default 5 s. */
  readonly timeoutMs?: number;
  /** Called with each failed push's error (after it is counted); `final` is the push on stop. */
  readonly onPushFailed?: (error: unknown, push: 'final' | 'interval') => void;
}

export interface PushgatewayExporterStats {
  pushes: number;
  errors: number;
  /** Interval pushes skipped because the previous one was still in flight. */
  skipped: number;
}

export class PushgatewayExporter {
  private readonly gateway: Pushgateway<RegistryContentType>;
  private readonly errorsMetric;
  private readonly stats_: PushgatewayExporterStats = { pushes: 0, errors: 0, skipped: 0 };
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: PushgatewayExporterOptions) {
    const timeout = options.timeoutMs ?? 5000;
    // The gateway only calls `metrics()` on what it is given: render() keeps the text format.
    const source = { metrics: async () => (await options.metrics.render()).body };
    this.gateway = new Pushgateway(
      options.url,
      { timeout },
      source as unknown as Registry<RegistryContentType>,
    );
    this.errorsMetric = exporterErrorsCounter(options.metrics.registry);
    this.errorsMetric.inc({ app: options.app, exporter: 'pushgateway' }, 0);
  }

  get stats(): PushgatewayExporterStats {
    return { ...this.stats_ };
  }

  /** Starts the periodic pushes, if an interval is set. */
  start(): void {
    const every = this.options.intervalMs;
    if (!every || this.timer || this.stopping) return;
    this.timer = setInterval(() => {
      if (this.inFlight) {
        this.stats_.skipped++;
        return;
      }
      void this.pushAs('interval');
    }, every);
    this.timer.unref();
  }

  /** One push now; resolves when it is done, never rejects. Only the push stop() makes is `final`. */
  push(): Promise<void> {
    return this.pushAs('interval');
  }

  private pushAs(push: 'final' | 'interval'): Promise<void> {
    const run = (async () => {
      try {
        await this.gateway.push({ jobName: this.options.app });
        this.stats_.pushes++;
      } catch (error) {
        this.stats_.errors++;
        this.errorsMetric.inc({ app: this.options.app, exporter: 'pushgateway' });
        try {
          this.options.onPushFailed?.(error, push);
        } catch {
          // A failing callback must not turn into a rejected push: stop() never rejects.
        }
      }
    })();
    this.inFlight = run;
    void run.finally(() => {
      if (this.inFlight === run) this.inFlight = undefined;
    });
    return run;
  }

  /** Stops the interval and makes the final push (after any in flight). Idempotent; never rejects. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      await this.inFlight;
      await this.pushAs('final');
    })();
    return this.stopping;
  }
}
