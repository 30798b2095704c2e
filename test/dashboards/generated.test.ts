/**
 * The committed Grafana files and rules (dashboards/prometheus, dashboards/graphite, alerts/) are
 * exactly what src/dashboards generates: after changing the code, `npm run dashboards` and commit.
 * Then the dashboards' shape, checked on the shipped files and on what `sidestream dashboards`
 * writes with options (a datasource uid and a selector): variables, units, the import header,
 * links between the dashboards, the instance filter.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderAll } from '../../dashboards/src/generate.js';
import { BUNDLE_TEST_ARGS, cliBundle } from '../support/bundle-cli.js';
import { loadDashboards, panelQueries, promqlSelectors, REPO } from '../support/dashboard-queries.js';

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
});

/** The shipped files, and the CLI's output with a datasource uid and a selector: the same checks. */
const BUNDLES = [
  { name: 'shipped', root: REPO, uid: undefined },
  {
    name: `sidestream dashboards ${BUNDLE_TEST_ARGS.join(' ')}`,
    root: cliBundle(BUNDLE_TEST_ARGS),
    uid: 'X',
  },
] as const;

interface DashboardShape {
  uid: string;
  tags: string[];
  __inputs?: { name: string; type: string; pluginId: string }[];
  __requires?: { type: string; id: string }[];
  links?: { type: string; tags: string[]; includeVars: boolean; keepTime: boolean }[];
  templating: {
    list: {
      name: string;
      type: string;
      multi?: boolean;
      includeAll?: boolean;
      current?: { value: string };
    }[];
  };
  panels: {
    type: string;
    title: string;
    description?: string;
    fieldConfig?: { defaults?: { unit?: string } };
  }[];
}

describe.each(BUNDLES)('dashboards: $name', ({ root, uid }) => {
  it('each dashboard exists in both variants with stable uids, the variables, and described panels with units', () => {
    for (const ds of ['prometheus', 'graphite'] as const) {
      const dashboards = loadDashboards(ds, root) as unknown as DashboardShape[];
      expect(dashboards.map((d) => d.uid).sort()).toEqual(
        ['agent', 'ingestion', 'kafka', 'overview'].map((s) => `sidestream-${s}-${ds}`),
      );
      for (const d of dashboards) {
        expect(d.templating.list.map((v) => `${v.name}:${v.type}`)).toEqual(
          ds === 'prometheus'
            ? ['ds:datasource', 'app:query', 'instance:query']
            : ['ds:datasource', 'app:query'],
        );
        for (const p of d.panels.filter((p) => p.type !== 'row')) {
          expect(p.description, `${d.uid} / ${p.title} has a description`).toBeTruthy();
          if (p.type === 'timeseries' || p.type === 'table') {
            expect(p.fieldConfig?.defaults?.unit, `${d.uid} / ${p.title} has a unit`).toBeTruthy();
          }
        }
      }
    }
  });

  it('the datasource: asked for on import (__inputs) without a uid, preset with one; __requires names it', () => {
    for (const ds of ['prometheus', 'graphite'] as const) {
      const input = ds === 'prometheus' ? 'DS_PROMETHEUS' : 'DS_GRAPHITE';
      for (const d of loadDashboards(ds, root) as unknown as DashboardShape[]) {
        const variable = d.templating.list.find((v) => v.name === 'ds');
        if (uid === undefined) {
          expect(d.__inputs, d.uid).toEqual([
            expect.objectContaining({ name: input, type: 'datasource', pluginId: ds }),
          ]);
          expect(variable?.current?.value).toBe(`\${${input}}`);
        } else {
          expect(d.__inputs, d.uid).toBeUndefined();
          expect(variable?.current?.value).toBe(uid);
        }
        const required = (d.__requires ?? []).map((r) => `${r.type}:${r.id}`);
        expect(required).toContain('grafana:grafana');
        expect(required).toContain(`datasource:${ds}`);
        for (const p of d.panels.filter((p) => p.type !== 'row'))
          expect(required).toContain(`panel:${p.type}`);
      }
    }
  });

  it('each dashboard links to the other three of its variant by tag, keeping time and variables', () => {
    for (const ds of ['prometheus', 'graphite'] as const) {
      const dashboards = loadDashboards(ds, root) as unknown as DashboardShape[];
      for (const d of dashboards) {
        const link = d.links?.find((l) => l.type === 'dashboards');
        expect(link, d.uid).toBeDefined();
        expect(link!.includeVars && link!.keepTime).toBe(true);
        // Grafana lists the dashboards that carry every tag of the link: the four of this variant.
        const linked = dashboards.filter((o) => link!.tags.every((t) => o.tags.includes(t)));
        expect(linked.map((o) => o.uid).sort()).toEqual(dashboards.map((o) => o.uid).sort());
      }
    }
  });

  it('the instance variable is multi-value with All, and every Prometheus panel selector filters on it (ALERTS aside)', () => {
    for (const d of loadDashboards('prometheus', root) as unknown as DashboardShape[]) {
      const instance = d.templating.list.find((v) => v.name === 'instance');
      expect(instance?.multi && instance.includeAll, d.uid).toBe(true);
    }
    const selectors = panelQueries('prometheus', root).flatMap((q) => promqlSelectors(q.query));
    expect(selectors.length).toBeGreaterThan(40);
    for (const s of selectors.filter((s) => !s.startsWith('ALERTS')))
      expect(s).toContain('instance=~"$instance"');
  });
});
