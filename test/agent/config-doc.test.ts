/**
 * docs/configuration.md is generated from the settings table (`npm run docs:config`): the
 * committed page must equal what the generator renders now, so a setting added, renamed or given
 * another default without regenerating the page fails here; and the page's example file must be
 * one the agent accepts.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC_PATH, EXAMPLE_YAML, renderConfigDoc } from '../../scripts/generate-config-doc.js';
import type { Setting } from '../../src/agent/config/setting.js';
import { SETTINGS } from '../../src/agent/config/settings.js';
import { resolveConfig } from '../../src/agent/config.js';

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` generates from the table (run it after changing settings.ts)', async () => {
    expect(await readFile(CONFIG_DOC_PATH, 'utf8')).toBe(renderConfigDoc());
  });

  it('has one row per setting and per key of a mapping, with its flag and variable', () => {
    const doc = renderConfigDoc();
    const rows = doc.split('\n').filter((l) => l.startsWith('| `'));
    const expected = (SETTINGS as readonly Setting[]).flatMap((s) => [
      `| \`${s.key}\` | \`${s.flag} ${s.placeholder ?? ''}`.replace(/ $/, '`'),
      ...Object.keys(s.value.fields ?? {}).map((name) => `| \`${s.key}.${name}\` | none (`),
    ]);
    expect(rows).toHaveLength(expected.length);
    expected.forEach((start, i) => {
      expect(rows[i]?.startsWith(start), `${rows[i]} starts with ${start}`).toBe(true);
    });
    expect(doc).toContain(
      '| `batchInterval` | `--batch-interval <duration>` | `SIDESTREAM_BATCH_INTERVAL` |',
    );
    expect(doc).toContain(
      '| `maxTaskFailures` | `--max-task-failures <n>` | `SIDESTREAM_MAX_TASK_FAILURES` | whole number | `4` | attempts | 1 to 100 |',
    );
  });

  it('shows an example file the agent accepts, with the values it says', async () => {
    expect(renderConfigDoc()).toContain(['```yaml', EXAMPLE_YAML.trimEnd(), '```'].join('\n'));
    const dir = await mkdtemp(join(tmpdir(), 'sidestream-config-doc-'));
    try {
      const file = join(dir, 'sidestream.yaml');
      await writeFile(file, EXAMPLE_YAML);
      const r = await resolveConfig({ file, defaultApp: 'job' });
      if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
      expect(r.config).toMatchObject({
        app: 'clicks',
        batchIntervalMs: 2000,
        http: { host: '0.0.0.0', port: 9464 },
        graphite: { url: 'tcp://carbon.internal:2003', prefix: 'prod.sidestream' },
        pushgateway: { url: 'http://pushgateway.internal:9091' },
        logFormat: 'json',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
