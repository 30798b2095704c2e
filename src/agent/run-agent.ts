/**
 * runAgent: the life of a running agent around a declared StreamingContext: metrics and the HTTP
 * endpoint up first, then the context; on the first SIGTERM/SIGINT a graceful stop bounded by
 * the shutdown timeout, on a second one an immediate exit. Resolves to the process exit code.
 */
import { describeError, SidestreamError } from '../errors.js';
import type { StreamingContext } from '../streaming-context.js';
import { eventLogListener } from '../telemetry/event-log-listener.js';
import { GraphiteExporter } from '../telemetry/exporters/graphite/graphite-exporter.js';
import { PushgatewayExporter } from '../telemetry/exporters/pushgateway-exporter.js';
import { MetricsPipeline } from '../telemetry/metrics-pipeline.js';
import { PrometheusListener } from '../telemetry/prometheus-listener.js';
import { formatDurationMs } from '../time.js';
import { agentHttpOptions } from './agent-http.js';
import { batchProgressListener, batchProgressMode } from './batch-progress.js';
import { batchSummaryListener } from './batch-summary.js';
import { DEFAULT_BATCH_SUMMARY_INTERVAL_MS } from './config/settings.js';
import type { AgentConfig } from './config.js';
import { AgentHttpServer } from './http-server.js';
import { log } from './logger.js';
import { note, reportError } from './report-error.js';
import { FORCED_EXIT, onStopSignal } from './stop-signals.js';
import { RESTARTS_ENV } from './supervisor.js';

export interface RunAgentOptions {
  readonly config: AgentConfig;
  readonly ssc: StreamingContext;
  readonly version: string;
  readonly verbose: boolean;
}

export async function runAgent({ config, ssc, version, verbose }: RunAgentOptions): Promise<number> {
  // The context's registry: user metrics the job declared (ssc.metrics) are served alongside.
  const metrics = ssc.metrics.registry;
  const restarts = Number(process.env[RESTARTS_ENV] ?? 0);
  // One listener for metrics: it applies each event to the registry, then, after each batch,
  // hands one snapshot of it to the push exporters (Graphite).
  const pipeline = new MetricsPipeline({
    registry: metrics.registry,
    app: config.app,
    applying: new PrometheusListener(metrics.registry, ssc, version, {
      restarts: Number.isInteger(restarts) && restarts > 0 ? restarts : 0,
    }),
    exporters: config.graphite
      ? [new GraphiteExporter({ ...config.graphite, app: config.app, registry: metrics.registry })]
      : [],
  });
  ssc.addStreamingListener(pipeline);
  // The agent's log: every event's line at its level, from the event table (the batch line is
  // the progress listener's, on a terminal or as the same table row).
  ssc.addStreamingListener(eventLogListener(log(), { except: ['onBatchCompleted'] }));
  const isTTY = process.stderr.isTTY === true;
  ssc.addStreamingListener(batchProgressListener({ logger: log(), format: log().format, isTTY }));
  // Where batches are not lines of their own, an info line per interval sums them up.
  const summaryIntervalMs = config.batchSummaryIntervalMs ?? DEFAULT_BATCH_SUMMARY_INTERVAL_MS;
  const summary =
    batchProgressMode(log().format, isTTY) === 'debug' && summaryIntervalMs > 0
      ? batchSummaryListener({ logger: log(), intervalMs: summaryIntervalMs })
      : undefined;
  if (summary) ssc.addStreamingListener(summary);
  const pushgateway = config.pushgateway
    ? new PushgatewayExporter({
        url: config.pushgateway.url,
        app: config.app,
        metrics,
        ...(config.pushgateway.intervalMs === undefined ? {} : { intervalMs: config.pushgateway.intervalMs }),
        onPushFailed: pushFailureLogger(config.pushgateway.url),
      })
    : undefined;
  /** Push exporters' last word, after the final batch: Graphite's final snapshot, the final push. */
  const stopExporters = async () => {
    // The summary of the last, unfinished interval, before the agent's last lines.
    summary?.stop();
    await Promise.all([pipeline.stop(), pushgateway?.stop()]);
  };
  let http: AgentHttpServer;
  try {
    http = await AgentHttpServer.start(agentHttpOptions({ config, ssc, version, metrics }));
  } catch (error) {
    reportError(error, verbose);
    return 1;
  }

  let stopping: Promise<number> | undefined;
  const stopGracefully = async (signal: string): Promise<number> => {
    http.markStopping();
    note(
      `${signal}: finishing in-flight batches (up to ${formatDurationMs(config.shutdownTimeoutMs)}); ` +
        `send ${signal} again to exit at once`,
    );
    let code = 0;
    const drained = await ssc.stop({ graceful: true, timeoutMs: config.shutdownTimeoutMs });
    if (!drained) {
      reportError(
        new SidestreamError(
          'SS_STOP_TIMEOUT',
          `in-flight batches did not finish within ${formatDurationMs(config.shutdownTimeoutMs)}; ` +
            'raise --shutdown-timeout or make the batches faster',
        ),
        verbose,
      );
      code = 1;
    }
    const failure = await terminationFailure(ssc);
    if (failure !== undefined) {
      reportError(failure, verbose);
      code = 1;
    }
    await stopExporters();
    await http.close();
    note('stopped');
    return code;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      note(`second ${signal}: exiting without waiting`);
      process.exit(FORCED_EXIT[signal] ?? 1);
    }
    stopping = stopGracefully(signal);
  };
  // A signal that came while the job loaded is delivered here at once: the context never starts.
  onStopSignal(onSignal);
  if (stopping) return stopping;

  try {
    await ssc.start();
  } catch (error) {
    if (stopping) return stopping;
    reportError(error, verbose);
    await stopExporters();
    await http.close();
    return 1;
  }
  const recovery = ssc.recovery;
  if (recovery) {
    for (const skipped of recovery.skipped)
      note(`skipped checkpoint ${skipped.file}: ${skipped.reason}; using an older one`);
    note(
      `recovered from checkpoint ${recovery.checkpointTimeMs}: ${recovery.pendingTimesMs.length} pending batches, ` +
        `${recovery.downTimesMs.length} down-time batches, state of ${recovery.restoredStreams.length} streams restored`,
    );
    if (recovery.jobChanged || recovery.droppedStreams.length > 0 || recovery.emptyStreams.length > 0) {
      note(
        `job changed since the checkpoint: dropped ${recovery.droppedStreams.join(', ') || 'nothing'}; ` +
          `starting empty ${recovery.emptyStreams.join(', ') || 'nothing'}`,
      );
    }
  }
  // A signal during start-up has begun the stop: starting the exporters now would outlive it.
  if (stopping) return stopping;
  pushgateway?.start();
  summary?.start();
  note(
    `app ${config.app} running: batch interval ${formatDurationMs(config.batchIntervalMs)}, ` +
      `metrics on ${http.url}/metrics`,
  );

  const failure = await terminationFailure(ssc);
  if (stopping) return stopping;
  // The context stopped by itself: a batch failed under onBatchFailure 'stop', or an input failed.
  // A signal from here on finds `stopping` set and exits at once.
  stopping = Promise.resolve(1);
  http.markStopping();
  if (failure !== undefined) reportError(failure, verbose);
  await stopExporters();
  await http.close();
  return failure === undefined ? 0 : 1;
}

/** Waits for the context to stop; the error that stopped it, if any. */
async function terminationFailure(ssc: StreamingContext): Promise<unknown> {
  try {
    await ssc.awaitTermination();
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * The agent's line for a failed Pushgateway push (the logger redacts the URL's credentials). The
 * final push's failure is a warning: the process is about to exit, so no later push or scrape can
 * show it. An interval push's failure is counted in sidestream_exporter_errors_total and retried
 * at the next interval, so it stays at debug rather than repeating a warning every interval.
 */
function pushFailureLogger(url: string): (error: unknown, push: 'final' | 'interval') => void {
  return (error, push) => {
    if (push === 'final') {
      log().warn(
        `the final push to the Pushgateway ${url} failed (${describeError(error)}); ` +
          "the gateway does not have this run's last metrics: check that it is reachable",
      );
    } else {
      log().debug(
        `a push to the Pushgateway ${url} failed (${describeError(error)}); the next interval tries again`,
      );
    }
  };
}
