/**
 * Docs may only name metrics that exist: every `sidestream_…` name in README.md and docs/*.md
 * must be in the catalogue (src/telemetry/metrics.ts), be a documented prefix of catalogue
 * names, or be one of the SQL tables the sinks create.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../src/telemetry/metrics.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Tables the sinks create (PostgresTransactionalSink, UidDeduplicator): not metrics. */
const TABLES = new Set(['sidestream_offsets', 'sidestream_seen_uids']);

describe('metric names in the docs', () => {
  it('are all in the catalogue', async () => {
    const files = [
      'README.md',
      ...(await readdir(join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
    ];
    const names = new Set<string>(METRICS.map((m) => m.name));
    const unknown: string[] = [];
    for (const file of files) {
      const text = await readFile(join(ROOT, file), 'utf8');
      for (const [token] of text.matchAll(/\bsidestream_[a-z0-9_]+/g)) {
        if (names.has(token) || TABLES.has(token)) continue;
        // A prefix written as `sidestream_last_batch_*` or `sidestream_kafka_…` names a family.
        const prefix = [...names].some((n) => n.startsWith(`${token}_`));
        if (!prefix) unknown.push(`${file}: ${token}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});
