/**
 * What the status page says about the agent's state, its readiness and each input's connection,
 * in words a person reads without hovering: pure functions of GET /api/status (no DOM), so
 * test/agent/status-page/status-words.test.ts checks them in Node. Fields an older agent does not
 * send are read as unknown, never as a failure.
 */
import type { AgentStatusSnapshot, InputStatus, ReceiverStatus } from '../../agent-status.js';
import { formatAge } from './format.js';

export type Tone = 'ok' | 'warn' | 'bad';

/** The reason readiness gives while the first batch has not completed: starting, not failing. */
const FIRST_BATCH = 'no batch has completed yet';

/** An older agent's snapshot has no reasons: its `ready` flag alone. */
function reasonsOf(s: AgentStatusSnapshot): readonly string[] {
  return s.readiness?.reasons ?? (s.ready ? [] : ['not ready']);
}

/**
 * The state badge: Running when ready; Starting only while the one thing missing is the first
 * batch; Not ready for anything else (an input not connected, an overdue batch), never an
 * eternal Starting.
 */
export function stateBadge(s: AgentStatusSnapshot): readonly [label: string, tone: Tone] {
  if (s.state === 'active') {
    if (s.ready) return ['Running', 'ok'];
    const reasons = reasonsOf(s);
    return reasons.every((r) => r === FIRST_BATCH) ? ['Starting', 'warn'] : ['Not ready', 'bad'];
  }
  if (s.state === 'stopping') return ['Stopping', 'warn'];
  if (s.state === 'stopped') return ['Stopped', 'bad'];
  return ['Initializing', 'warn'];
}

/** `Not ready: <reason>; <reason>` under the header, or null when ready. */
export function notReadyText(s: AgentStatusSnapshot): string | null {
  if (s.ready) return null;
  return `Not ready: ${reasonsOf(s).join('; ')}`;
}

export interface Words {
  readonly tone: Tone | 'none';
  readonly label: string;
  /** A second line, shown as text: the reason, the last error, when it last answered. */
  readonly detail: string | null;
}

/** The inputs table's Connection cell. */
export function connectionWords(input: InputStatus, now: number): Words {
  const heard =
    input.lastResponseTime === null || input.lastResponseTime === undefined
      ? null
      : `last answer ${formatAge(now - input.lastResponseTime)} ago`;
  if (input.connected === null) return { tone: 'none', label: 'n/a', detail: null };
  if (input.connected) return { tone: 'ok', label: 'connected', detail: heard };
  const reason = input.disconnectedReason ?? null;
  return {
    tone: 'bad',
    label: 'not connected',
    detail: reason === null ? heard : heard === null ? reason : `${reason} (${heard})`,
  };
}

/** The inputs table's Receiver cell: its state, and its last error as text. */
export function receiverWords(receiver: ReceiverStatus | null, now: number): Words {
  if (!receiver) return { tone: 'none', label: 'none (direct)', detail: null };
  const tone: Tone = receiver.state === 'started' ? 'ok' : receiver.state === 'error' ? 'bad' : 'warn';
  const label = receiver.state + (receiver.errors > 0 ? ` (${receiver.errors} errors)` : '');
  if (receiver.lastError === null) return { tone, label, detail: null };
  const age = receiver.lastErrorTime === null ? '' : ` ${formatAge(now - receiver.lastErrorTime)} ago`;
  return { tone, label, detail: `last error${age}: ${receiver.lastError}` };
}

/** Whether the input is a Kafka direct stream (an older agent sends no kind: by its name). */
function isKafkaDirect(input: InputStatus): boolean {
  return input.kind === undefined
    ? input.receiver === null && input.name.startsWith('kafka:')
    : input.kind === 'kafka-direct';
}

/**
 * What the Kafka lag chart says while it has no partition to draw: that the job has no Kafka
 * direct stream only when that is true; otherwise why there is nothing yet.
 */
export function kafkaChartEmptyText(s: AgentStatusSnapshot | null): string {
  const direct = (s?.inputs ?? []).filter(isKafkaDirect);
  if (direct.length === 0) return 'No Kafka direct stream in this job';
  const down = direct.filter((i) => i.connected === false);
  if (down.length > 0)
    return down
      .map((i) => `${i.name} not connected: ${i.disconnectedReason ?? 'no reason given'}`)
      .join('; ');
  return `${direct.map((i) => i.name).join(', ')}: waiting for partitions (no batch has planned any yet)`;
}
