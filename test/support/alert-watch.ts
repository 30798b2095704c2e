/**
 * Watches a Prometheus's alerts for the false-alert soak (scripts/false-alert-soak.ts): `poll()`
 * reads GET /api/v1/alerts and records every pending or firing alert as an episode (one alert,
 * one set of labels, one activeAt); `mergeHistory()` adds what the ALERTS series kept but the
 * polls missed (an alert with `for: 0s` can be active for a single evaluation between two polls).
 */
import type { PromSample } from './prometheus.js';

export type AlertState = 'pending' | 'firing';

export interface AlertEpisode {
  readonly name: string;
  /** The alert's labels without alertname. */
  readonly labels: Record<string, string>;
  /** When Prometheus says it became active (pending), ms epoch. */
  readonly activeAtMs: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** `firing` once it was seen firing; it never goes back to pending within one episode. */
  state: AlertState;
  firstFiringMs?: number;
  /** The expression's value when first seen and when last seen (per /api/v1/alerts). */
  firstValue: string;
  lastValue: string;
  /** Found only in the ALERTS series at the end, not by a poll. */
  fromHistory?: true;
}

interface ApiAlert {
  labels: Record<string, string>;
  state: string;
  activeAt: string;
  value: string;
}

const keyOf = (name: string, labels: Record<string, string>) =>
  `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;

/** An alert's own labels: without its name, and without what only the ALERTS series adds. */
function withoutName(labels: Record<string, string>): Record<string, string> {
  const { alertname: _name, alertstate: _state, __name__: _metric, ...rest } = labels;
  return rest;
}

export class AlertWatch {
  private readonly byKey = new Map<string, AlertEpisode>();

  constructor(private readonly prometheusUrl: string) {}

  episodes(): AlertEpisode[] {
    return [...this.byKey.values()].sort((a, b) => a.activeAtMs - b.activeAtMs);
  }

  /** One poll; resolves to the episodes that are new or went firing since the last poll. */
  async poll(now = Date.now()): Promise<AlertEpisode[]> {
    const res = await fetch(`${this.prometheusUrl}/api/v1/alerts`);
    const body = (await res.json()) as { status: string; data: { alerts: ApiAlert[] } };
    if (body.status !== 'success') throw new Error(`GET /api/v1/alerts: ${body.status}`);
    const changed: AlertEpisode[] = [];
    for (const alert of body.data.alerts) {
      if (alert.state !== 'pending' && alert.state !== 'firing') continue;
      const name = alert.labels.alertname ?? '?';
      const labels = withoutName(alert.labels);
      const activeAtMs = Date.parse(alert.activeAt);
      const key = `${keyOf(name, labels)}@${activeAtMs}`;
      const known = this.byKey.get(key);
      if (!known) {
        const episode: AlertEpisode = {
          name,
          labels,
          activeAtMs,
          firstSeenMs: now,
          lastSeenMs: now,
          state: alert.state,
          firstValue: alert.value,
          lastValue: alert.value,
          ...(alert.state === 'firing' ? { firstFiringMs: now } : {}),
        };
        this.byKey.set(key, episode);
        changed.push(episode);
        continue;
      }
      known.lastSeenMs = now;
      known.lastValue = alert.value;
      if (alert.state === 'firing' && known.state === 'pending') {
        known.state = 'firing';
        known.firstFiringMs = now;
        changed.push(known);
      }
    }
    return changed;
  }

  /**
   * `alerts` is the range query `ALERTS[<whole run>]`: every (alert, labels, state) that was ever
   * active, sampled at each evaluation. Firing the polls never saw for those labels becomes an
   * episode marked fromHistory, spanning its first to last sample; pending likewise, unless the
   * labels already have an episode (an alert is pending before it fires). Coarse on purpose: one
   * episode per labels and state, however many times it came and went unseen.
   */
  mergeHistory(alerts: readonly PromSample[]): AlertEpisode[] {
    const added: AlertEpisode[] = [];
    const firingFirst = [...alerts].sort(
      (a, b) => Number(b.metric.alertstate === 'firing') - Number(a.metric.alertstate === 'firing'),
    );
    for (const series of firingFirst) {
      const state = series.metric.alertstate;
      const samples = series.values ?? [];
      const first = samples[0];
      const last = samples[samples.length - 1];
      if ((state !== 'pending' && state !== 'firing') || !first || !last) continue;
      const name = series.metric.alertname ?? '?';
      const labels = withoutName(series.metric);
      const key = keyOf(name, labels);
      const seen = this.episodes().some(
        (e) => keyOf(e.name, e.labels) === key && (state === 'pending' || e.state === 'firing'),
      );
      if (seen) continue;
      const episode: AlertEpisode = {
        name,
        labels,
        activeAtMs: first[0] * 1000,
        firstSeenMs: first[0] * 1000,
        lastSeenMs: last[0] * 1000,
        state,
        firstValue: first[1],
        lastValue: last[1],
        fromHistory: true,
        ...(state === 'firing' ? { firstFiringMs: first[0] * 1000 } : {}),
      };
      this.byKey.set(`${key}@history-${state}`, episode);
      added.push(episode);
    }
    return added;
  }
}
