/**
 * MetricsRegistry: the agent's own prom-client Registry (never the global one, so two agents or
 * tests in one process do not share series) with the process metrics on it, rendered as
 * Prometheus text or OpenMetrics as the scraper asks.
 */
import { collectDefaultMetrics, Registry, type RegistryContentType } from 'prom-client';

export interface RenderedMetrics {
  readonly contentType: string;
  readonly body: string;
}

export class MetricsRegistry {
  readonly registry = new Registry<RegistryContentType>();
  private rendering: Promise<unknown> = Promise.resolve();

  constructor(app: string) {
    collectDefaultMetrics({ register: this.registry, labels: { app } });
  }

  /** Renders every metric; OpenMetrics when `accept` prefers application/openmetrics-text. */
  render(accept?: string): Promise<RenderedMetrics> {
    const openMetrics = prefersOpenMetrics(accept);
    // prom-client renders OpenMetrics by switching the registry's content type and renaming
    // counters in place (dropping `_total`), so renders must not overlap and the names must be
    // put back, or a later Prometheus scrape would see `sidestream_batches` without `_total`.
    const next = this.rendering.then(() => this.renderNow(openMetrics));
    this.rendering = next.catch(() => {});
    return next;
  }

  private async renderNow(openMetrics: boolean): Promise<RenderedMetrics> {
    if (!openMetrics) {
      return { contentType: Registry.PROMETHEUS_CONTENT_TYPE, body: await this.registry.metrics() };
    }
    const metrics = this.registry.getMetricsAsArray() as { name: string }[];
    const names = metrics.map((m) => [m, m.name] as const);
    this.registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    try {
      return { contentType: Registry.OPENMETRICS_CONTENT_TYPE, body: await this.registry.metrics() };
    } finally {
      this.registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
      for (const [m, name] of names) m.name = name;
    }
  }
}

/** True when the Accept header rates OpenMetrics at least as high as plain text. */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let openMetrics = 0;
  let text = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q)) continue;
    if (type === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, q);
    else if (type === 'text/plain') text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text;
}
