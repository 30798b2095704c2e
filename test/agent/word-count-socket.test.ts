import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, killAll, spawnCli } from '../support/cli-process.js';

let server: Server | undefined;
afterEach(async () => {
  await killAll();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const LINES = ['the quick brown fox', 'jumps over the lazy dog', '', 'the dog  barks', 'fox fox'];

function expectedCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const word of LINES.join(' ').split(/\s+/).filter(Boolean)) counts[word] = (counts[word] ?? 0) + 1;
  return counts;
}

/** Adds up every `counts {...}` line the job printed. */
function summed(stdout: string): Record<string, number> {
  const total: Record<string, number> = {};
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('counts ')) continue;
    for (const [word, n] of Object.entries(
      JSON.parse(line.slice('counts '.length)) as Record<string, number>,
    )) {
      total[word] = (total[word] ?? 0) + n;
    }
  }
  return total;
}

describe('examples/word-count-socket.ts', () => {
  it('counts exactly the words written to the socket', async () => {
    const connections: Socket[] = [];
    server = createServer((socket) => connections.push(socket));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };

    const cli = spawnCli(
      [
        'run',
        'examples/word-count-socket.ts',
        '--batch-interval',
        '200ms',
        '--http',
        `127.0.0.1:${await freePort()}`,
      ],
      { env: { SOCKET_HOST: '127.0.0.1', SOCKET_PORT: String(port) } },
    );
    const deadline = Date.now() + 10_000;
    while (connections.length === 0) {
      if (Date.now() > deadline) throw new Error(`the job never connected\n${cli.stderr()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // Split over two writes and batches, one line cut mid-way, to exercise line reassembly.
    const text = `${LINES.join('\n')}\n`;
    connections[0]!.write(text.slice(0, 30));
    await new Promise((r) => setTimeout(r, 300));
    connections[0]!.write(text.slice(30));

    const expected = expectedCounts();
    await cli.waitForStdout(
      (out) =>
        JSON.stringify(sortKeys(summed(out))) === JSON.stringify(sortKeys(expected)) ||
        overshoot(out, expected),
    );
    expect(summed(cli.stdout())).toEqual(expected);
    expect(cli.stdout()).toMatch(/^counts \{.*\}$/m);
  });
});

function sortKeys(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Stops waiting early once some count is already too high: the test then fails on the equality. */
function overshoot(stdout: string, expected: Record<string, number>): boolean {
  return Object.entries(summed(stdout)).some(([word, n]) => n > (expected[word] ?? 0));
}
