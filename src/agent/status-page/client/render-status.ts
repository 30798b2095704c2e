/// <reference lib="dom" />
/**
 * Renders GET /api/status: the header (app, state badge, interval, uptime, readiness), the
 * batches-waiting and checkpoint cards, the inputs table (with the newest batch's figures per
 * input), the Kafka partitions table and the configuration.
 */
import type { CompletedBatchRecord } from '../../../events/index.js';
import type { AgentStatusSnapshot } from '../../agent-status.js';
import { byId, dot, el, setText, td, tdNode } from './dom.js';
import { formatAge, formatClock, formatInputErrors, formatMs, formatNumber } from './format.js';

/** The state badge's text and colour class. */
function stateBadge(s: AgentStatusSnapshot): readonly [label: string, kind: string] {
  if (s.state === 'active') return s.ready ? ['Running', 'ok'] : ['Starting', 'warn'];
  if (s.state === 'stopping') return ['Stopping', 'warn'];
  if (s.state === 'stopped') return ['Stopped', 'bad'];
  return ['Initializing', 'warn'];
}

/** `newest`: the newest batch record, for the inputs table's per-input figures. */
export function renderStatus(s: AgentStatusSnapshot, newest: CompletedBatchRecord | undefined): void {
  document.title = `${s.app} · sidestream`;
  setText('app-name', s.app);
  setText('version', `sidestream ${s.version}`);
  const badge = byId('state');
  const [label, kind] = stateBadge(s);
  badge.textContent = label;
  badge.className = `badge ${kind}`;
  setText('uptime', formatAge(s.uptimeSeconds * 1000));
  setText('interval', formatMs(s.batchIntervalMs));
  setText('ready', s.ready ? 'ready' : 'not ready');
  byId('ready').className = s.ready ? 'ok-text' : 'warn-text';
  setText('waiting', String(s.batchesWaiting));
  byId('card-waiting').classList.toggle('alert', s.batchesWaiting > 1);
  if (!s.checkpoint.enabled) setText('checkpoint', 'off', 'no checkpoint directory configured');
  else if (s.checkpoint.last)
    setText(
      'checkpoint',
      `${formatAge(s.now - s.checkpoint.last.time)} ago`,
      `batch ${formatClock(s.checkpoint.last.batchTime)}, ${formatNumber(s.checkpoint.last.bytes)} bytes`,
    );
  else setText('checkpoint', 'none yet');
  byId('card-checkpoint').classList.toggle('alert', s.checkpoint.enabled && s.checkpoint.failures > 0);

  renderInputs(s, newest);
  renderKafkaPartitions(s);
  setText('config', JSON.stringify(s.config, null, 2));
}

function renderInputs(s: AgentStatusSnapshot, newest: CompletedBatchRecord | undefined): void {
  const inputs = byId('inputs-body');
  inputs.replaceChildren();
  for (const input of s.inputs) {
    const tr = el('tr');
    const inRecord = newest?.inputs.find((i) => i.streamId === input.streamId);
    const conn =
      input.connected === null
        ? el('span', 'muted', 'n/a')
        : input.connected
          ? dot('ok', 'connected')
          : dot('bad', 'disconnected');
    const recv = input.receiver
      ? dot(
          input.receiver.state === 'started' ? 'ok' : input.receiver.state === 'error' ? 'bad' : 'warn',
          input.receiver.state + (input.receiver.errors > 0 ? ` (${input.receiver.errors} errors)` : ''),
        )
      : el('span', 'muted', 'none (direct)');
    if (input.receiver?.lastError) recv.title = input.receiver.lastError;
    const failures = formatInputErrors(input.errors, input.lastError, input.lastErrorTime, s.now);
    tr.append(
      td(input.name, 'mono'),
      tdNode(conn),
      tdNode(recv),
      failures === null ? tdNode(el('span', 'muted', 'none')) : td(failures, 'bad-text'),
      td(inRecord ? formatNumber(inRecord.numRecords) : '–', 'num'),
      td(formatMs(inRecord?.eventTimeLagMs?.avg), 'num'),
      td(formatMs(inRecord?.eventTimeLagMs?.max), 'num'),
    );
    inputs.append(tr);
  }
}

/** The table shows only while the job has Kafka partitions, most lagging first. */
function renderKafkaPartitions(s: AgentStatusSnapshot): void {
  const kafka = byId('kafka-section');
  const partitions = s.kafka?.partitions ?? [];
  kafka.hidden = partitions.length === 0;
  const body = byId('kafka-body');
  body.replaceChildren();
  for (const p of [...partitions].sort((a, b) => b.lagRecords - a.lagRecords)) {
    const tr = el('tr');
    if (p.lagRecords > 0) tr.className = 'lagging';
    tr.append(
      td(p.topic, 'mono'),
      td(String(p.partition), 'num'),
      td(formatNumber(p.lagRecords), 'num'),
      td(p.lagSeconds === null ? '–' : formatMs(p.lagSeconds * 1000), 'num'),
      td(String(p.committedOffset), 'num mono'),
      td(String(p.highWatermark), 'num mono'),
    );
    body.append(tr);
  }
}
