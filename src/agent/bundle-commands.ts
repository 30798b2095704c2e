/**
 * `sidestream dashboards` and `sidestream alerts`: write the dashboards-and-alerts bundle (the
 * files shipped in dashboards/ and alerts/, built by src/dashboards/ from the same code) with the
 * options a user sets at import time: the datasource uid, extra PromQL label selectors, alert
 * thresholds, `for` durations and the runbook links. To a directory with --out, or one file to
 * stdout. This file owns the flags and where the files go; src/dashboards/ owns what is in them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { ALERT_NAMES, TUNABLE_ALERTS, thresholdDefault } from '../dashboards/alert-defaults.js';
import { type BundleFlags, parseBundleOptions, usage } from '../dashboards/bundle-options.js';
import type { RenderedFile } from '../dashboards/render-bundle.js';
import { SidestreamError } from '../errors.js';
import { reportError, USAGE_EXIT } from './report-error.js';

const FLAVOURS = ['prometheus', 'graphite'] as const;
type Flavour = (typeof FLAVOURS)[number];
const DASHBOARD_NAMES = ['overview', 'kafka', 'ingestion', 'agent'] as const;

interface CommonFlags extends BundleFlags {
  readonly out?: string;
  readonly flavour?: string;
  readonly verbose?: boolean;
}

interface DashboardsFlags extends CommonFlags {
  readonly dashboard?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function flavourOf(flags: CommonFlags): Flavour | undefined {
  if (flags.flavour === undefined) return undefined;
  if (!(FLAVOURS as readonly string[]).includes(flags.flavour)) {
    throw usage(`--flavour '${flags.flavour}': expected one of ${FLAVOURS.join(', ')}`);
  }
  return flags.flavour as Flavour;
}

/**
 * The builders, loaded when a bundle command runs: they pull in the Grafana SDK, which `run` and
 * the other commands should not pay for at start-up.
 */
const builders = () => import('../dashboards/render-bundle.js');

/** Writes `files` under `dir`, each at its path without the first segment (dashboards/, alerts/). */
async function writeUnder(dir: string, files: readonly RenderedFile[]): Promise<void> {
  for (const file of files) {
    const path = join(dir, file.path.split('/').slice(1).join('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.text);
    process.stdout.write(`wrote ${path}\n`);
  }
}

/** Runs a command body: a usage problem exits 2, any other failure (a write) 1. */
async function guarded(verbose: boolean | undefined, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (error) {
    reportError(error, verbose === true);
    return error instanceof SidestreamError && error.code === 'SS_USAGE' ? USAGE_EXIT : 1;
  }
}

function dashboards(flags: DashboardsFlags): Promise<number> {
  return guarded(flags.verbose, async () => {
    const options = parseBundleOptions(flags);
    const flavour = flavourOf(flags);
    const name = flags.dashboard;
    if (name !== undefined && !(DASHBOARD_NAMES as readonly string[]).includes(name)) {
      throw usage(`--dashboard '${name}': expected one of ${DASHBOARD_NAMES.join(', ')}`);
    }
    const { renderDashboards } = await builders();
    const files = renderDashboards(options).filter(
      (f) =>
        (flavour === undefined || f.path.startsWith(`dashboards/${flavour}/`)) &&
        (name === undefined || f.path.endsWith(`/sidestream-${name}.json`)),
    );
    if (flags.out !== undefined) return writeUnder(flags.out, files);
    if (name === undefined) {
      throw usage(
        `without --out, name the one dashboard to print with --dashboard (${DASHBOARD_NAMES.join(', ')}); ` +
          'or write them all with --out DIR',
      );
    }
    // One dashboard of one flavour to stdout: Prometheus unless asked otherwise.
    const file = files.find((f) => f.path.startsWith(`dashboards/${flavour ?? 'prometheus'}/`));
    process.stdout.write(file?.text ?? '');
  });
}

function alerts(flags: CommonFlags): Promise<number> {
  return guarded(flags.verbose, async () => {
    const options = parseBundleOptions(flags);
    const flavour = flavourOf(flags);
    const { renderPrometheusRules, renderGrafanaRules } = await builders();
    const files = [
      ...(flavour !== 'graphite' ? [renderPrometheusRules(options)] : []),
      ...(flavour !== 'prometheus' ? [renderGrafanaRules(options)] : []),
    ];
    if (flags.out !== undefined) return writeUnder(flags.out, files);
    // To stdout: the Prometheus rules unless --flavour graphite.
    process.stdout.write(files[0]?.text ?? '');
  });
}

function addCommonOptions(command: Command): Command {
  return command
    .option('--out <dir>', 'write the files under DIR (created if missing) instead of printing one')
    .option('--flavour <name>', `only the files of one datasource: ${FLAVOURS.join(' or ')}`)
    .option(
      '--datasource-uid <uid>',
      'the uid of the Grafana datasource to read (default: the dashboards ask on import; the Graphite rules use sidestream-graphite)',
    )
    .option(
      '--selector <matcher>',
      'a PromQL label matcher added to every selector, e.g. \'cluster="a"\' (repeatable)',
      collect,
    )
    .option('--verbose', 'print stack traces with errors');
}

/** Registers `dashboards` and `alerts` on the program; `setExit` receives each one's exit code. */
export function addBundleCommands(program: Command, setExit: (code: number) => void): void {
  addCommonOptions(
    program
      .command('dashboards')
      .description(
        'write the Grafana dashboards (Prometheus and Graphite) with your datasource uid and label selectors',
      )
      .option('--dashboard <name>', `only one dashboard: ${DASHBOARD_NAMES.join(', ')}`),
  ).action(async (flags: DashboardsFlags) => {
    setExit(await dashboards(flags));
  });

  addCommonOptions(
    program
      .command('alerts')
      .description(
        'write the Prometheus alert rules (and the Grafana-managed Graphite rules) with your thresholds, for durations, selectors and runbook links',
      ),
  )
    .option(
      '--threshold <alert=value>',
      `an alert's threshold (repeatable); for ${TUNABLE_ALERTS.map((a) => `${a} (default ${thresholdDefault(a)?.value} ${thresholdDefault(a)?.unit})`).join(', ')}`,
      collect,
    )
    .option(
      '--for <alert=duration>',
      `an alert's for, a Prometheus duration such as 5m (repeatable); any of ${ALERT_NAMES.length} alerts`,
      collect,
    )
    .option(
      '--runbook-url <url>',
      'the URL of your copy of docs/runbooks.md: each alert links to URL#<alert in lower case>',
    )
    .action(async (flags: CommonFlags) => {
      setExit(await alerts(flags));
    });
}
