/**
 * The outcome of one false-alert soak (scripts/false-alert-soak.ts) and its printed table: the
 * traffic it played, whether the agent consumed all of it, and every shipped alert with how many
 * of its episodes fired and how many stayed pending. Kept apart from the script so the JSON it
 * writes (--json) and the table read from one shape.
 */
import type { AlertEvidence } from './alert-evidence.js';
import type { AlertRuleHealth } from './alert-rule-health.js';
import type { AlertEpisode } from './alert-watch.js';
import type { BatchLogPeaks } from './batch-log-peaks.js';
import type { TrafficPhase } from './bursty-schedule.js';

export interface FalseAlertSummary {
  readonly startedAt: string;
  readonly seed: number;
  readonly durationS: number;
  readonly scrapeIntervalS: number;
  readonly topic: string;
  readonly partitions: number;
  readonly plan: readonly TrafficPhase[];
  readonly recordsProduced: number;
  readonly recordsProcessed: number;
  readonly batches: number;
  /** Whether the group's committed offsets reached the end offsets of every partition. */
  readonly drained: boolean;
  /** How long that took after the plan ended (0 when it ended idle, as usual). */
  readonly drainSeconds: number;
  /** Every alert of the shipped rules file, in its order. */
  readonly alertNames: readonly string[];
  /** What Prometheus says about those rules at the end: a rule that never ran raises nothing. */
  readonly rules: AlertRuleHealth;
  /** Scrapes of the agent over the run, and how many failed (`up == 0`). */
  readonly scrapes: { readonly total: number; readonly failed: number };
  /** How close the batches came to the alerts' thresholds (the agent's batch log). */
  readonly peaks: BatchLogPeaks;
  readonly episodes: readonly AlertEpisode[];
  readonly evidence: readonly AlertEvidence[];
  /** Where the agent log, batch log and checkpoint stay. */
  readonly dir: string;
}

export const fired = (s: FalseAlertSummary) => s.episodes.filter((e) => e.state === 'firing');
export const pendingOnly = (s: FalseAlertSummary) => s.episodes.filter((e) => e.state === 'pending');

/** Whether the run measured anything: every shipped rule loaded and evaluating, the agent scraped. */
export const measured = (s: FalseAlertSummary) =>
  s.rules.loaded === s.alertNames.length && s.rules.healthy === s.rules.loaded && s.scrapes.total > 0;

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

function range(values: readonly number[], format: (n: number) => string): string {
  if (values.length === 0) return '-';
  return `${format(Math.min(...values))} to ${format(Math.max(...values))}`;
}

export function formatFalseAlertSummary(s: FalseAlertSummary): string {
  const bursts = s.plan.filter((p) => p.rate > 0);
  // The lead-in idle is not a gap between bursts; the idle after the last burst is, if cut short.
  const gaps = s.plan.filter((p, i) => p.rate === 0 && i > 0);
  const [burstMs, burstRates, gapMs] = [
    bursts.map((b) => b.durationMs),
    bursts.map((b) => b.rate),
    gaps.map((g) => g.durationMs),
  ];
  const ruleErrors = s.rules.errors.length ? ` (${s.rules.errors.join('; ')})` : '';
  const rows: [string, string][] = [
    ['started', s.startedAt],
    ['duration', `${(s.durationS / 60).toFixed(1)} min`],
    ['seed', String(s.seed)],
    ['scrape and rule evaluation interval', `${s.scrapeIntervalS} s`],
    ['bursts', `${bursts.length} (${range(burstMs, seconds)}, ${range(burstRates, String)} records/s)`],
    ['idle gaps', `${gaps.length} (${range(gapMs, seconds)})`],
    ['records produced', s.recordsProduced.toLocaleString('en-US')],
    ['records processed by the agent', s.recordsProcessed.toLocaleString('en-US')],
    ['batches', s.batches.toLocaleString('en-US')],
    [
      `committed offsets == end offsets (${s.partitions} partitions)`,
      s.drained ? `yes (${s.drainSeconds.toFixed(0)} s after the plan ended)` : 'NO',
    ],
    [
      'alert rules loaded / evaluating without error',
      `${s.rules.loaded} / ${s.rules.healthy} of ${s.alertNames.length}${ruleErrors}`,
    ],
    ['scrapes of the agent / failed', `${s.scrapes.total.toLocaleString('en-US')} / ${s.scrapes.failed}`],
    ['alerts fired', String(fired(s).length)],
    ['alerts pending, never fired', String(pendingOnly(s).length)],
  ];
  const lines = ['| measure | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)];
  lines.push('', '| alert | fired | pending only |', '| --- | ---: | ---: |');
  const names = [...new Set([...s.alertNames, ...s.episodes.map((e) => e.name)])];
  for (const name of names) {
    const of = s.episodes.filter((e) => e.name === name);
    const f = of.filter((e) => e.state === 'firing').length;
    const p = of.filter((e) => e.state === 'pending').length;
    lines.push(`| ${name} | ${f} | ${p} |`);
  }
  const k = s.peaks;
  lines.push(
    '',
    '| closest approach (batch log) | threshold of the alert | peak |',
    '| --- | --- | ---: |',
    `| event-time lag, batch average (SidestreamEventTimeLagHigh) | above the batch interval (1 s) for 2m | ${k.eventTimeLagAvgMaxMs.toFixed(0)} ms; longest run above 1 s: ${k.lagAboveIntervalLongestRun} batches |`,
    `| generation delay (SidestreamBatchOverdue) | next batch more than 2 intervals late | ${k.generationDelayMaxMs} ms |`,
    `| scheduling delay (SidestreamBatchesQueueing) | more than 1 batch waiting for 5m | ${k.schedulingDelayMaxMs} ms |`,
    `| processing time | | ${k.processingDelayMaxMs} ms |`,
    `| committed lag (SidestreamConsumerLagGrowing) | above 60 s and growing for 5m | ${k.committedLagMaxSeconds.toFixed(1)} s |`,
    `| failed tasks / batches (SidestreamTaskFailures, SidestreamBatchFailed) | more than 4 a minute / any | ${k.failedTasks} / ${k.failedBatches} |`,
  );
  for (const e of s.episodes) {
    lines.push(
      '',
      `${e.state === 'firing' ? 'FIRED' : 'pending'}: ${e.name} ${JSON.stringify(e.labels)} active at ${new Date(e.activeAtMs).toISOString()}, ` +
        `seen ${new Date(e.firstSeenMs).toISOString()} to ${new Date(e.lastSeenMs).toISOString()}, value ${e.firstValue} -> ${e.lastValue}` +
        `${e.fromHistory ? ' (only in the ALERTS series)' : ''}`,
    );
  }
  return lines.join('\n');
}
