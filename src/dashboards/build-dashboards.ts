/**
 * Turns the panel specs (panels.ts) into Grafana dashboard JSON with @grafana/grafana-foundation-sdk:
 * a Prometheus and a Graphite variant of each dashboard, with the datasource, the app and (for
 * Prometheus) the instance as template variables, stable uids (`<stem>-prometheus`,
 * `<stem>-graphite`), links to the other dashboards of the variant (by tag), and the `__inputs` /
 * `__requires` Grafana's import dialog reads. The bundle options (bundle-options.ts) set the
 * datasource uid and the extra PromQL selectors.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  type DataSourceRef,
  DatasourceVariableBuilder,
  PanelBuilder as GenericPanelBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder as PromQueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TextPanelBuilder } from '@grafana/grafana-foundation-sdk/text';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { DEFAULT_GRAPHITE_PREFIX } from '../telemetry/graphite-naming.js';
import { type BundleOptions, DEFAULT_BUNDLE_OPTIONS } from './bundle-options.js';
import { type DashboardSpec, dashboardSpecs, type PanelSpec } from './panels.js';
import { type PromScope, promScope, selectSeries } from './prom-scope.js';

export type Datasource = 'prometheus' | 'graphite';

/** Panels and queries name the datasource through the `ds` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
const dsRef = (type: Datasource): DataSourceRef => ({ type, uid: '${ds}' });

/** The SDK has no Graphite query type; this is the shape Grafana's Graphite datasource stores. */
export class GraphiteQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly query: { refId: string; target: string; datasource: DataSourceRef };
  constructor(target: string, refId: string, datasource: DataSourceRef = dsRef('graphite')) {
    this.query = { refId, target, datasource };
  }
  build(): cog.Dataquery {
    return { ...this.query, _implementsDataqueryVariant() {} } as cog.Dataquery;
  }
}

const refId = (i: number) => String.fromCharCode(65 + i);

function targetsFor(spec: PanelSpec, ds: Datasource): cog.Builder<cog.Dataquery>[] {
  if (ds === 'prometheus') {
    return spec.prom.map((t, i) =>
      new PromQueryBuilder()
        .expr(t.expr)
        .legendFormat(t.legend)
        .refId(refId(i))
        .datasource(dsRef('prometheus'))
        .range(),
    );
  }
  return spec.graphite.map((t, i) => new GraphiteQueryBuilder(t.target, refId(i)));
}

type AnyPanelBuilder = TextPanelBuilder | GenericPanelBuilder | TablePanelBuilder | TimeseriesPanelBuilder;

function panelFor(spec: PanelSpec, ds: Datasource): AnyPanelBuilder | undefined {
  const width = spec.width ?? 12;
  let kind = spec.kind ?? 'timeseries';
  if (ds === 'graphite' && spec.graphite.length === 0) {
    if (!spec.graphiteKind) return undefined;
    kind = spec.graphiteKind;
  }
  if (kind === 'text') {
    return new TextPanelBuilder()
      .title(`${spec.title} (Prometheus only)`)
      .description(spec.description)
      .content(spec.graphiteNote ?? '')
      .span(width)
      .height(8);
  }
  if (kind === 'alertlist') {
    return new GenericPanelBuilder()
      .type('alertlist')
      .title(spec.title)
      .description(spec.description)
      .span(width)
      .height(8);
  }
  const unit = ds === 'graphite' ? (spec.graphiteUnit ?? spec.unit) : spec.unit;
  const builder = kind === 'table' ? new TablePanelBuilder() : new TimeseriesPanelBuilder();
  builder
    .title(spec.title)
    .description(spec.description)
    .unit(unit)
    .datasource(dsRef(ds))
    .targets(targetsFor(spec, ds))
    .span(width)
    .height(8);
  return builder;
}

function appVariable(ds: Datasource, q: PromScope): QueryVariableBuilder {
  const v = new QueryVariableBuilder('app')
    .label('app')
    .description('The sidestream app (the `app` label / the path segment after the prefix).')
    .datasource(dsRef(ds))
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true);
  if (ds === 'prometheus') {
    return v.query(`label_values(${selectSeries('sidestream_build_info', q.selectors)}, app)`).allValue('.+');
  }
  return v.query(`${DEFAULT_GRAPHITE_PREFIX}.*`).allValue('*');
}

/**
 * The scraped agents of the chosen apps (Prometheus's `instance`), for replicas of one app. Its
 * All is `.*`: series pushed without an instance label (a Pushgateway) still match.
 */
function instanceVariable(q: PromScope): QueryVariableBuilder {
  return new QueryVariableBuilder('instance')
    .label('instance')
    .description('The agent (Prometheus target) of the chosen apps: one replica, several, or All.')
    .datasource(dsRef('prometheus'))
    .query(`label_values(${selectSeries('sidestream_build_info', 'app=~"$app"', q.selectors)}, instance)`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}
export interface GeneratedFile {
  /** Relative to the repository root. */
  readonly path: string;
  readonly json: unknown;
}

const LABEL: Record<Datasource, string> = { prometheus: 'Prometheus', graphite: 'Graphite' };
/** The import dialog's input: Grafana replaces `${DS_<NAME>}` with the datasource picked there. */
const INPUT: Record<Datasource, string> = { prometheus: 'DS_PROMETHEUS', graphite: 'DS_GRAPHITE' };
/** Grafana's panel plugin names, for __requires. */
const PANEL_PLUGINS: Record<string, string> = {
  timeseries: 'Time series',
  table: 'Table',
  text: 'Text',
  alertlist: 'Alert list',
};

/**
 * `__inputs` (without a datasource uid: the import dialog asks for it) and `__requires` (the
 * Grafana version, datasource and panels the dashboard needs), ahead of the dashboard as Grafana
 * exports them.
 */
function importHeader(dashboard: { panels?: { type: string }[] }, ds: Datasource, uid: string | undefined) {
  const types = [...new Set((dashboard.panels ?? []).map((p) => p.type).filter((t) => t !== 'row'))].sort();
  return {
    ...(uid === undefined
      ? {
          __inputs: [
            {
              name: INPUT[ds],
              label: LABEL[ds],
              description: `The ${LABEL[ds]} datasource that holds the sidestream metrics.`,
              type: 'datasource',
              pluginId: ds,
              pluginName: LABEL[ds],
            },
          ],
        }
      : {}),
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '11.6.0' },
      { type: 'datasource', id: ds, name: LABEL[ds], version: '1.0.0' },
      ...types.map((t) => ({ type: 'panel', id: t, name: PANEL_PLUGINS[t] ?? t, version: '' })),
    ],
  };
}

function buildDashboard(spec: DashboardSpec, ds: Datasource, options: BundleOptions, q: PromScope): unknown {
  const label = LABEL[ds];
  // Without a uid the variable starts on the import dialog's choice; with one, on that uid.
  const current = options.datasourceUid ?? `\${${INPUT[ds]}}`;
  const builder = new DashboardBuilder(`${spec.title} (${label})`)
    .uid(`${spec.uid}-${ds}`)
    .description(spec.description)
    .tags(['sidestream', ds])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-30m', to: 'now' })
    .refresh('10s')
    .timezone('browser')
    .withVariable(
      new DatasourceVariableBuilder('ds')
        .label('datasource')
        .description(`The ${label} datasource that holds the sidestream metrics.`)
        .type(ds)
        .current({ selected: true, text: current, value: current }),
    )
    .withVariable(appVariable(ds, q))
    .links([
      // Every dashboard of the same variant (they share both tags), keeping time and variables.
      new DashboardLinkBuilder('sidestream')
        .type(DashboardLinkType.Dashboards)
        .tags(['sidestream', ds])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true)
        .targetBlank(false)
        .icon('external link')
        .tooltip('')
        .url(''),
    ]);
  if (ds === 'prometheus') builder.withVariable(instanceVariable(q));
  // Stable panel ids (Grafana links and the API address panels by id): rows and panels numbered in order.
  let id = 0;
  for (const row of spec.rows) {
    builder.withRow(new RowBuilder(row.title).id(++id));
    for (const p of row.panels) {
      const panel = panelFor(p, ds);
      if (panel) builder.withPanel(panel.id(++id));
    }
  }
  const dashboard = builder.build();
  return { ...importHeader(dashboard, ds, options.datasourceUid), ...dashboard };
}

/** Every dashboard file, in a stable order. */
export function generateDashboards(options: BundleOptions = DEFAULT_BUNDLE_OPTIONS): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  const q = promScope(options.selectors);
  for (const ds of ['prometheus', 'graphite'] as const) {
    for (const spec of dashboardSpecs(q)) {
      files.push({ path: `dashboards/${ds}/${spec.uid}.json`, json: buildDashboard(spec, ds, options, q) });
    }
  }
  return files;
}
