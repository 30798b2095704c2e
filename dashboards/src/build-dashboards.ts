/**
 * Turns the panel specs (panels.ts) into Grafana dashboard JSON with @grafana/grafana-foundation-sdk:
 * a Prometheus and a Graphite variant of each dashboard, with the datasource and the app as
 * template variables and stable uids (`<stem>-prometheus`, `<stem>-graphite`).
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DashboardCursorSync,
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
import { DEFAULT_GRAPHITE_PREFIX } from '../../src/telemetry/graphite-naming.js';
import { DASHBOARDS, type DashboardSpec, type PanelSpec } from './panels.js';

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

function appVariable(ds: Datasource): QueryVariableBuilder {
  const v = new QueryVariableBuilder('app')
    .label('app')
    .description('The sidestream app (the `app` label / the path segment after the prefix).')
    .datasource(dsRef(ds))
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true);
  if (ds === 'prometheus') {
    return v.query('label_values(sidestream_build_info, app)').allValue('.+');
  }
  return v.query(`${DEFAULT_GRAPHITE_PREFIX}.*`).allValue('*');
}

export interface GeneratedFile {
  /** Relative to the repository root. */
  readonly path: string;
  readonly json: unknown;
}

function buildDashboard(spec: DashboardSpec, ds: Datasource): unknown {
  const label = ds === 'prometheus' ? 'Prometheus' : 'Graphite';
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
        .type(ds),
    )
    .withVariable(appVariable(ds));
  // Stable panel ids (Grafana links and the API address panels by id): rows and panels numbered in order.
  let id = 0;
  for (const row of spec.rows) {
    builder.withRow(new RowBuilder(row.title).id(++id));
    for (const p of row.panels) {
      const panel = panelFor(p, ds);
      if (panel) builder.withPanel(panel.id(++id));
    }
  }
  return builder.build();
}

/** Every dashboard file, in a stable order. */
export function generateDashboards(): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const ds of ['prometheus', 'graphite'] as const) {
    for (const spec of DASHBOARDS) {
      files.push({ path: `dashboards/${ds}/${spec.uid}.json`, json: buildDashboard(spec, ds) });
    }
  }
  return files;
}
