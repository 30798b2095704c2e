/**
 * The agent's Pushgateway push end to end: `sidestream demo --pushgateway URL` against a private,
 * REAL Pushgateway pushes the registry (job = the app) when it stops on SIGTERM, after its last
 * batch; SIDESTREAM_PUSHGATEWAY does the same with an interval from the config file. A final push
 * that fails is logged at warn, its URL's credentials redacted, and the stop still succeeds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killAll, spawnCli } from '../support/cli-process.js';
import { type PushgatewayProcess, requirePushgateway, startPushgateway } from '../support/pushgateway.js';

const hasPushgateway = await requirePushgateway();

afterEach(killAll);

describe.runIf(hasPushgateway)('sidestream --pushgateway', () => {
  let gateway: PushgatewayProcess;
  let dir: string;
  beforeAll(async () => {
    gateway = await startPushgateway();
    dir = await mkdtemp(join(tmpdir(), 'sidestream-pgw-'));
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const succeeded = (text: string, app: string) =>
    Number(
      new RegExp(
        `^sidestream_batches_total\\{app="${app}",instance="",job="${app}",outcome="succeeded"\\} (\\d+)$`,
        'm',
      ).exec(text)?.[1] ?? Number.NaN,
    );

  it('pushes on stop, after the last batch', async () => {
    const app = 'pgw-flag';
    const cli = spawnCli([
      'demo',
      '--app',
      app,
      '--http',
      `127.0.0.1:${await freePort()}`,
      '--batch-interval',
      '200ms',
      '--pushgateway',
      gateway.url,
    ]);
    await cli.waitForStdout(/records=/);
    expect(await gateway.metricsText()).not.toContain(`job="${app}"`);
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
    const text = await gateway.metricsText();
    expect(succeeded(text, app)).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(
      new RegExp(
        `^sidestream_exporter_errors_total\\{app="${app}",exporter="pushgateway",instance="",job="${app}"\\} 0$`,
        'm',
      ),
    );
  }, 30_000);

  it('SIDESTREAM_PUSHGATEWAY with an interval from the file pushes while running', async () => {
    const app = 'pgw-env';
    const config = join(dir, 'agent.yaml');
    await writeFile(config, 'pushgateway:\n  url: http://127.0.0.1:1\n  interval: 300ms\n');
    const cli = spawnCli(
      [
        'demo',
        '--app',
        app,
        '--config',
        config,
        '--http',
        `127.0.0.1:${await freePort()}`,
        '--batch-interval',
        '200ms',
      ],
      { env: { SIDESTREAM_PUSHGATEWAY: gateway.url } },
    );
    const deadline = Date.now() + 15_000;
    let pushed = Number.NaN;
    while (Date.now() < deadline) {
      pushed = succeeded(await gateway.metricsText(), app);
      if (pushed >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(pushed).toBeGreaterThanOrEqual(1);
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  }, 30_000);
});

describe('sidestream --pushgateway without a gateway', () => {
  it('logs the failed final push at warn, without the credentials, and stops cleanly', async () => {
    const password = 'PushS3cret-not-in-the-log';
    const port = await freePort();
    const cli = spawnCli([
      'demo',
      '--app',
      'pgw-absent',
      '--http',
      `127.0.0.1:${await freePort()}`,
      '--batch-interval',
      '200ms',
      '--pushgateway',
      `http://pusher:${password}@127.0.0.1:${port}`,
      '--log-format',
      'json',
    ]);
    await cli.waitForStdout(/records=/);
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
    const lines = cli
      .stderr()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; msg: string });
    const failed = lines.filter((l) => l.msg.includes('the final push to the Pushgateway'));
    expect(failed).toHaveLength(1);
    expect(failed[0]?.level).toBe('warn');
    expect(failed[0]?.msg).toContain(`http://[redacted]@127.0.0.1:${port} failed (`);
    expect(failed[0]?.msg).toContain('ECONNREFUSED');
    expect(cli.stderr()).not.toContain(password);
  }, 30_000);
});
