/**
 * A private Prometheus Pushgateway for a test (Debian's `prometheus-pushgateway`, installed by
 * `scripts/services.sh up pushgateway`): started on a free port without persistence, so pushes
 * from parallel tests never meet. requirePushgateway() follows requireService's rule (under
 * CI=true a missing binary fails the file).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { freePort } from './agent-process.js';
import { requireService } from './services.js';

export const PUSHGATEWAY_BIN = '/usr/bin/prometheus-pushgateway';

export function requirePushgateway(): Promise<boolean> {
  return requireService('Pushgateway', PUSHGATEWAY_BIN, () => access(PUSHGATEWAY_BIN, constants.X_OK));
}

export interface PushgatewayProcess {
  readonly url: string;
  /** The gateway's /metrics text (what Prometheus would scrape from it). */
  metricsText(): Promise<string>;
  stop(): Promise<void>;
}

export async function startPushgateway(): Promise<PushgatewayProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PUSHGATEWAY_BIN,
    [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`pushgateway did not become ready on ${url}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    metricsText: async () => (await fetch(`${url}/metrics`)).text(),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
