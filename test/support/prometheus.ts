/**
 * A private, REAL Prometheus for a test (Debian's 2.42, installed by `scripts/services.sh up
 * prometheus`): started on a free port with a temporary tsdb, scraping the given targets every
 * second (and evaluating the given alert rules as often), plus the query-API helpers the tests
 * compare against.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './agent-process.js';
import { requireService } from './services.js';

export const PROMETHEUS = '/usr/bin/prometheus';

/** Prometheus is a binary the test starts itself: present means usable. */
export function requirePrometheus(): Promise<boolean> {
  return requireService('Prometheus', PROMETHEUS, () => access(PROMETHEUS, constants.X_OK));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something other than undefined (errors count as "not yet"). */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(200);
  }
}

export interface PromSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface PrometheusProcess {
  readonly url: string;
  output(): string;
  query(query: string): Promise<PromSample[]>;
  /** The one series `query` selects, as a number; throws unless exactly one. */
  value(query: string): Promise<number>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** A rules file's YAML (alerting or recording rules), evaluated as often as targets are scraped. */
  readonly rules?: string;
  /**
   * Seconds between scrapes and between rule evaluations; default 1 (a test waits seconds, not
   * minutes). The scrape timeout is the interval up to Prometheus's own default of 10 s.
   */
  readonly scrapeIntervalS?: number;
  /** Static labels on every target (`cluster: a`), as a scrape config's `labels:` sets them. */
  readonly targetLabels?: Readonly<Record<string, string>>;
}

/** Starts Prometheus scraping `targets` (HOST:PORT) as job `sidestream` (every second by default); waits until ready. */
export async function startPrometheus(
  targets: readonly string[],
  options: PrometheusOptions = {},
): Promise<PrometheusProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'sidestream-prom-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, 'prometheus.yml');
  const rules = join(dir, 'rules.yml');
  const interval = options.scrapeIntervalS ?? 1;
  if (options.rules !== undefined) await writeFile(rules, options.rules);
  await writeFile(
    config,
    [
      'global:',
      `  scrape_interval: ${interval}s`,
      `  scrape_timeout: ${Math.min(interval, 10)}s`,
      `  evaluation_interval: ${interval}s`,
      ...(options.rules === undefined ? [] : ['rule_files:', `  - ${rules}`]),
      'scrape_configs:',
      '  - job_name: sidestream',
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      ...Object.entries(options.targetLabels ?? {}).map(
        ([name, value], i) =>
          `${i === 0 ? '        labels:\n' : ''}          ${name}: ${JSON.stringify(value)}`,
      ),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const query = async (q: string): Promise<PromSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: PromSample[] } };
    if (body.status !== 'success') throw new Error(`${q}: ${body.error}`);
    return body.data.result;
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'Prometheus /-/ready',
      async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined),
      30_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output.slice(-4000)}`);
  }
  return {
    url,
    output: () => output,
    query,
    async value(q) {
      const result = await query(q);
      if (result.length !== 1) throw new Error(`${q} selects ${result.length} series, not one`);
      return Number(result[0]!.value![1]);
    },
    stop,
  };
}
