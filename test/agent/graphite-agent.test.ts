import { afterEach, describe, expect, it } from 'vitest';
import { eventually, freePort, killAll, spawnCli } from '../support/cli-process.js';
import { LineServer } from '../support/line-server.js';

afterEach(killAll);

const servers: LineServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.kill();
});

describe('sidestream demo --graphite', () => {
  it('pushes the batch metrics every batch and once more on SIGTERM', async () => {
    const carbon = new LineServer();
    servers.push(carbon);
    const carbonPort = await carbon.listen();
    const cli = spawnCli([
      'demo',
      '--http',
      `127.0.0.1:${await freePort()}`,
      '--batch-interval',
      '1s',
      '--graphite',
      `tcp://127.0.0.1:${carbonPort}`,
    ]);
    const succeeded = () =>
      carbon.lines.filter((l) => l.startsWith('sidestream.demo.batches_total.succeeded '));
    await eventually(async () => (succeeded().length >= 2 ? true : undefined), 15_000, 'two flushes');
    // Stamped with the batch time: whole seconds, one apart (1 s batches), values counting up.
    const [a, b] = succeeded().map((l) => l.split(' ').map(Number));
    expect(b![2]! - a![2]!).toBe(1);
    expect(b![1]).toBe(a![1]! + 1);
    expect(carbon.lines.some((l) => l.startsWith('sidestream.demo.batch_total_delay_seconds.p99 '))).toBe(
      true,
    );
    const before = succeeded().length;
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
    await eventually(async () => (succeeded().length > before ? true : undefined), 3000, 'the final flush');
  }, 30_000);

  it('refuses a malformed --graphite URL, naming the flag', async () => {
    const cli = spawnCli(['demo', '--graphite', 'carbon:2003']);
    const exit = await cli.exited;
    expect(exit.code).not.toBe(0);
    expect(cli.stderr()).toContain("--graphite: 'carbon:2003' must be tcp://HOST:PORT or udp://HOST:PORT");
  });
});
