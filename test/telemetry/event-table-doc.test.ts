/** docs/telemetry.md's event table is what `npm run docs:events` renders from the event table. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTelemetryDoc, TELEMETRY_DOC_PATH } from '../../scripts/generate-event-table-doc.js';
import { EVENT_TABLE } from '../../src/telemetry/event-table.js';

describe('docs/telemetry.md event table', () => {
  it('is what `npm run docs:events` generates (run it after changing src/telemetry/event-table.ts)', () => {
    const committed = readFileSync(TELEMETRY_DOC_PATH, 'utf8');
    expect(committed).toBe(renderTelemetryDoc(committed));
  });

  it('has a row for every event type', () => {
    const committed = readFileSync(TELEMETRY_DOC_PATH, 'utf8');
    for (const type of Object.keys(EVENT_TABLE)) expect(committed).toContain(`| \`${type}\` |`);
  });
});
