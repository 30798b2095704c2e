/**
 * Readiness: whether the engine does its job now, and if not, every reason why, in words an
 * operator can act on. GET /readyz answers it, GET /api/status and the status page show it
 * (docs/reference.md). Pure: the engine gathers the facts, this module judges them, so the rules
 * are tested without a running context.
 */
import type { GenerationOverdue } from './job-generator.js';

/**
 * A batch whose generation is more than this many batch intervals past its due time is overdue:
 * readiness fails. One interval late is what a slow plan or a busy event loop can cost once; two
 * means the batch after it is due too and neither is coming (docs/telemetry.md).
 */
export const OVERDUE_AFTER_INTERVALS = 2;

export interface Readiness {
  readonly ready: boolean;
  /** Every reason the engine is not ready, one sentence each; empty when ready. */
  readonly reasons: readonly string[];
}

/** What readiness is judged from. */
export interface ReadinessFacts {
  /** The context's state: only an active one can be ready. */
  readonly state: 'initialized' | 'active' | 'stopping' | 'stopped';
  readonly completedBatches: number;
  readonly batchIntervalMs: number;
  /** Each input's connection as it reports it; `connected` absent: no upstream (queue, generator). */
  readonly inputs: readonly {
    readonly name: string;
    readonly connected?: boolean;
    readonly disconnectedReason?: string;
  }[];
  readonly overdue: GenerationOverdue | undefined;
}

const NOT_ACTIVE: Record<Exclude<ReadinessFacts['state'], 'active'>, string> = {
  initialized: 'the context has not started',
  stopping: 'the context is stopping',
  stopped: 'the context has stopped',
};

export function judgeReadiness(facts: ReadinessFacts): Readiness {
  const reasons: string[] = [];
  if (facts.state !== 'active') reasons.push(NOT_ACTIVE[facts.state]);
  for (const input of facts.inputs) {
    if (input.connected !== false) continue;
    reasons.push(`input ${input.name} is not connected: ${input.disconnectedReason ?? 'no reason given'}`);
  }
  const overdue = facts.overdue;
  if (overdue && overdue.overdueMs > OVERDUE_AFTER_INTERVALS * facts.batchIntervalMs) {
    reasons.push(
      `batch ${new Date(overdue.batchTimeMs).toISOString()} is overdue: not generated ` +
        `${seconds(overdue.overdueMs)} after its time, waiting for ${overdue.waitingFor}`,
    );
  }
  if (facts.completedBatches === 0 && facts.state === 'active') reasons.push('no batch has completed yet');
  return { ready: reasons.length === 0, reasons };
}

/** 24.6 s, 0.8 s: one decimal, so two reasons a second apart read differently. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
