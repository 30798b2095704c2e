/**
 * Writes the event table section of docs/telemetry.md from the event table
 * (src/telemetry/event-table.ts): `npm run docs:events`. test/telemetry/event-table-doc.test.ts
 * fails when the committed section differs from what this renders, so the page cannot drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TelemetryEventType } from '../src/events/index.js';
import { EVENT_TABLE, hasEffect } from '../src/telemetry/event-table.js';

export const TELEMETRY_DOC_PATH = fileURLToPath(new URL('../docs/telemetry.md', import.meta.url));
const START = '<!-- event-table -->';
const END = '<!-- /event-table -->';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

/** The rendered table, between the markers. */
export function renderEventTable(): string {
  const lines = [
    START,
    '<!-- Generated from src/telemetry/event-table.ts by `npm run docs:events`; do not edit by hand. -->',
    '',
    '| Event | Metrics it changes | Log line (level) |',
    '| --- | --- | --- |',
  ];
  for (const [type, row] of Object.entries(EVENT_TABLE) as [
    TelemetryEventType,
    (typeof EVENT_TABLE)[TelemetryEventType],
  ][]) {
    const metric = hasEffect(row.metric)
      ? row.metric.metrics.map(code).join(', ')
      : `none: ${row.metric.none}`;
    const log = hasEffect(row.log)
      ? `${code(row.log.shape)} (${typeof row.log.level === 'function' ? (row.log.levels ?? 'by event') : row.log.level})`
      : `none: ${row.log.none}`;
    lines.push(`| ${code(type)} | ${cell(metric)} | ${cell(log)} |`);
  }
  lines.push(END);
  return lines.join('\n');
}

/** docs/telemetry.md with its event table section rendered anew. */
export function renderTelemetryDoc(current: string): string {
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  if (start === -1 || end === -1) throw new Error(`docs/telemetry.md has no ${START} ... ${END} section`);
  return current.slice(0, start) + renderEventTable() + current.slice(end + END.length);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(TELEMETRY_DOC_PATH, renderTelemetryDoc(readFileSync(TELEMETRY_DOC_PATH, 'utf8')));
  console.log(`wrote ${TELEMETRY_DOC_PATH}`);
}
