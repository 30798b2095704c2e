/**
 * One agent run scraped by a private, real Prometheus: the set-up of the tests that compare what
 * Prometheus scraped from an agent's /metrics with what the same agent's GET /api/batches says.
 * The agent (a child process on a free port) runs a fixture that holds its last batch forever,
 * so the metrics stay at the values of the last batch with records.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { CompletedBatchRecord } from '../../src/events/index.js';
import { type AgentProcess, freePort, startAgent } from './agent-process.js';
import { type PrometheusProcess, startPrometheus, waitFor } from './prometheus.js';
import { runArgs } from './run-args.js';

export interface ScrapedAgentOptions {
  /** The fixture job module. */
  readonly job: string;
  readonly app: string;
  /** --batch-interval, such as `500ms`. */
  readonly batchInterval: string;
  /** Further agent flags. */
  readonly flags?: readonly string[];
  /** How long starting the agent and Prometheus may take (beforeAll's timeout). */
  readonly startTimeoutMs?: number;
}

export interface ScrapedAgent {
  /** The Prometheus scraping the agent (once beforeAll has run). */
  prometheus(): PrometheusProcess;
  /** The agent's GET /api/batches?limit=1000. */
  batches(): Promise<CompletedBatchRecord[]>;
  /** The agent's output and the end of Prometheus's, for a failure message. */
  diagnostics(): string;
  /** Waits until /api/batches lists at least `count` batches; resolves to that list. */
  waitForBatches(count: number, timeoutMs: number): Promise<CompletedBatchRecord[]>;
  /**
   * Waits until Prometheus has scraped the agent successfully at least twice after `afterS` (epoch
   * seconds); resolves to how many times it has.
   */
  waitForScrapesAfter(afterS: number, timeoutMs: number): Promise<number>;
}

/** Call inside the describe block: beforeAll starts the agent, then Prometheus; afterAll stops both. */
export function scrapedAgent(options: ScrapedAgentOptions): ScrapedAgent {
  let agent: AgentProcess | undefined;
  let prometheus: PrometheusProcess | undefined;
  let agentUrl = '';

  const diagnostics = () =>
    `\n--- agent ---\n${agent?.output() ?? ''}\n--- prometheus ---\n${prometheus?.output().slice(-4000) ?? ''}`;
  const withDiagnostics = (error: Error): never => {
    throw new Error(`${error.message}${diagnostics()}`);
  };
  const started = (): PrometheusProcess => {
    if (!prometheus) throw new Error('Prometheus is not started yet (scrapedAgent starts it in beforeAll)');
    return prometheus;
  };

  async function batches(): Promise<CompletedBatchRecord[]> {
    const res = await fetch(`${agentUrl}/api/batches?limit=1000`);
    expect(res.status).toBe(200);
    return (await res.json()) as CompletedBatchRecord[];
  }

  beforeAll(async () => {
    const port = await freePort();
    agentUrl = `http://127.0.0.1:${port}`;
    agent = startAgent(
      runArgs({
        job: options.job,
        app: options.app,
        batchInterval: options.batchInterval,
        flags: ['--default-parallelism', '2', ...(options.flags ?? [])],
        http: `127.0.0.1:${port}`,
      }),
    );
    prometheus = await startPrometheus([`127.0.0.1:${port}`]);
  }, options.startTimeoutMs);

  afterAll(async () => {
    if (agent && agent.child.exitCode === null && agent.child.signalCode === null) {
      // The fixture holds its last batch forever, so a graceful stop would only wait it out.
      agent.child.kill('SIGKILL');
      await agent.exited;
    }
    await prometheus?.stop();
  });

  return {
    prometheus: started,
    batches,
    diagnostics,
    waitForBatches: (count, timeoutMs) =>
      waitFor(
        'the fixture batches in /api/batches',
        async () => {
          const list = await batches();
          return list.length >= count ? list : undefined;
        },
        timeoutMs,
      ).catch(withDiagnostics),
    waitForScrapesAfter: (afterS, timeoutMs) =>
      waitFor(
        'two scrapes after the last batch',
        async () => {
          const [up] = await started().query('up{job="sidestream"}[30s]');
          const after = (up?.values ?? []).filter(([t, v]) => t > afterS && v === '1');
          return after.length >= 2 ? after.length : undefined;
        },
        timeoutMs,
      ).catch(withDiagnostics),
  };
}
