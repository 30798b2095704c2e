/**
 * The committed Grafana files (dashboards/prometheus, dashboards/graphite, alerts/grafana) are
 * exactly what dashboards/src generates: after changing the code, `npm run dashboards` and commit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderAll } from '../../dashboards/src/generate.js';
import { loadDashboards, REPO } from '../support/dashboard-queries.js';

describe('generated Grafana files', () => {
  const files = renderAll();

  it('the committed files equal what dashboards/src generates (run `npm run dashboards`)', () => {
    for (const file of files) {
      const committed = readFileSync(join(REPO, file.path), 'utf8');
      expect(committed, `${file.path} is stale: run \`npm run dashboards\``).toBe(file.text);
    }
  });

  it('dashboards/ holds no JSON the generator does not write', () => {
    const generated = new Set(files.map((f) => f.path));
    for (const ds of ['prometheus', 'graphite']) {
      for (const f of readdirSync(join(REPO, 'dashboards', ds))) {
        expect(generated.has(`dashboards/${ds}/${f}`), `dashboards/${ds}/${f}`).toBe(true);
      }
    }
  });

  it('each dashboard exists in both variants with stable uids, the two variables, and described panels with units', () => {
    for (const ds of ['prometheus', 'graphite'] as const) {
      const dashboards = loadDashboards(ds) as unknown as {
        uid: string;
        templating: { list: { name: string; type: string }[] };
        panels: {
          type: string;
          title: string;
          description?: string;
          fieldConfig?: { defaults?: { unit?: string } };
        }[];
      }[];
      expect(dashboards.map((d) => d.uid).sort()).toEqual(
        ['agent', 'ingestion', 'kafka', 'overview'].map((s) => `sidestream-${s}-${ds}`),
      );
      for (const d of dashboards) {
        expect(d.templating.list.map((v) => `${v.name}:${v.type}`)).toEqual(['ds:datasource', 'app:query']);
        for (const p of d.panels.filter((p) => p.type !== 'row')) {
          expect(p.description, `${d.uid} / ${p.title} has a description`).toBeTruthy();
          if (p.type === 'timeseries' || p.type === 'table') {
            expect(p.fieldConfig?.defaults?.unit, `${d.uid} / ${p.title} has a unit`).toBeTruthy();
          }
        }
      }
    }
  });
});
