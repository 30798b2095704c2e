/// <reference lib="dom" />
/**
 * Renders GET /api/status: the header (app, state badge, interval, uptime, readiness) and, when
 * not ready, every reason under it, the batches-waiting and checkpoint cards, the inputs table
 * (each input's connection and receiver with the reason or last error as text, and the newest
 * batch's figures per input), the Kafka partitions table and the configuration.
 */
import type { CompletedBatchRecord } from '../../../events/index.js';
import type { AgentStatusSnapshot } from '../../agent-status.js';
import { byId, dot, el, setText, td, tdNode } from './dom.js';
import { formatAge, formatClock, formatInputErrors, formatMs, formatNumber } from './format.js';
import { connectionWords, notReadyText, receiverWords, stateBadge, type Words } from './status-words.js';

/** A cell's words: the coloured label, and the detail as a second line of text. */
function wordsNode(words: Words): HTMLElement {
  const label = words.tone === 'none' ? el('span', 'muted', words.label) : dot(words.tone, words.label);
  if (words.detail === null) return label;
  const box = el('div');
  box.append(label, el('div', `detail ${words.tone === 'bad' ? 'bad-text' : 'muted'}`, words.detail));
  return box;
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
  const notReady = notReadyText(s);
  const readiness = byId('readiness');
  readiness.hidden = notReady === null || s.state !== 'active';
  readiness.textContent = notReady ?? '';
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
    const conn = wordsNode(connectionWords(input, s.now));
    const recv = wordsNode(receiverWords(input.receiver, s.now));
    if (input.connected === false) tr.className = 'disconnected';
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
      td(
        p.committedLagRecords === null || p.committedLagRecords === undefined
          ? '–'
          : formatNumber(p.committedLagRecords),
        'num',
      ),
      td(String(p.committedOffset), 'num mono'),
      td(String(p.highWatermark), 'num mono'),
    );
    body.append(tr);
  }
}
