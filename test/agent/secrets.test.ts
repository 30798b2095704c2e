/**
 * Secrets never leave the agent: a Postgres URL with its password (in the job's environment and
 * quoted by a failing sink's error, as database drivers do), the HTTP token, and a Graphite or
 * Pushgateway URL with credentials appear neither in GET /api/status, /api/batches or the status
 * page, nor in the agent's stdout or stderr, nor in any file the agent writes (checkpoints, the
 * offset and write-ahead logs, tail positions, the batch log), which are private to its user.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/state/checkpoint-store.js';
import { eventually, freePort, httpGet, killAll, runCli, spawnCli } from '../support/cli-process.js';

afterEach(killAll);

const PG_PASSWORD = 'PgS3cret-do-not-leak';
const DATABASE_URL = `postgres://orders_writer:${PG_PASSWORD}@db.internal:5432/orders`;
const TOKEN = 'tok-0f3c9a7d5e1b2468ace0';
const GRAPHITE_PASSWORD = 'GraphiteS3cret-do-not-leak';
const PUSHGATEWAY_PASSWORD = 'PushS3cret-do-not-leak';
const SECRETS = [PG_PASSWORD, TOKEN, GRAPHITE_PASSWORD, PUSHGATEWAY_PASSWORD];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidestream-secrets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function expectNoSecret(where: string, text: string): void {
  for (const secret of SECRETS) expect(text, `${where} contains a secret`).not.toContain(secret);
}

/** Every file and folder under `root`, the folders first. */
async function walk(root: string): Promise<{ dirs: string[]; files: string[] }> {
  const dirs = [root];
  const files: string[] = [];
  for (let i = 0; i < dirs.length; i++) {
    for (const entry of await readdir(dirs[i] as string, { withFileTypes: true })) {
      const path = join(entry.parentPath, entry.name);
      if (entry.isDirectory()) dirs.push(path);
      else files.push(path);
    }
  }
  return { dirs, files };
}

/** No secret in the bytes of a file, as text or as the UTF-16 strings node:v8 may serialize. */
async function expectNoSecretIn(file: string): Promise<void> {
  const bytes = await readFile(file);
  expectNoSecret(file, bytes.toString('latin1'));
  expectNoSecret(file, bytes.toString('utf16le'));
  expectNoSecret(file, bytes.subarray(1).toString('utf16le'));
}

async function expectPrivate(path: string, owner: number): Promise<void> {
  const mode = (await stat(path)).mode & 0o777;
  expect(mode & 0o077, `${path} is ${mode.toString(8)}`).toBe(0);
  expect(mode & owner, `${path} is ${mode.toString(8)}`).toBe(owner);
}

/** A sink that fails every other batch with its connection string in the message. */
const JOB = `export default (ssc) => {
  let n = 0;
  const url = process.env.DATABASE_URL;
  ssc.generatorStream({ ratePerSec: 200, keys: 2, eventTimeLagMs: 50 }).foreachRDD(async (rdd) => {
    n++;
    if (n % 2 === 0)
      await rdd.foreachPartition(() => { throw new Error('connect ECONNREFUSED for ' + url); });
    else await rdd.count();
  });
};
`;

describe('secrets', () => {
  it('stay out of /api/status, /api/batches, the page and the output of a running agent', {
    timeout: 40_000,
  }, async () => {
    const job = join(dir, 'orders.mjs');
    await writeFile(job, JOB);
    const config = join(dir, 'agent.yaml');
    await writeFile(config, `httpToken: "${TOKEN}"\nbatchInterval: 300ms\nonBatchFailure: continue\n`);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const agent = spawnCli(
      ['run', job, '--config', config, '--http', `127.0.0.1:${port}`, '--max-task-failures', '1'],
      { env: { DATABASE_URL, PGPASSWORD: PG_PASSWORD } },
    );

    const batches = await eventually(
      async () => {
        const r = await httpGet(`${base}/api/batches`, auth);
        if (r.status !== 200) return undefined;
        return r.body.includes('"outcome":"failed"') ? r.body : undefined;
      },
      20_000,
      'a failed batch',
    );
    // The failure reason is kept, with the URL's credentials removed.
    expect(batches).toContain('postgres://[redacted]@db.internal:5432/orders');
    expectNoSecret('/api/batches', batches);

    const status = await httpGet(`${base}/api/status`, auth);
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body).config).toMatchObject({ httpToken: '[redacted]' });
    expectNoSecret('/api/status', status.body);
    const page = await httpGet(`${base}/`, auth);
    expect(page.status).toBe(200);
    expectNoSecret('the page', page.body);
    // Without the token nothing of this is served at all.
    for (const path of ['/', '/api/status', '/api/batches'])
      expect((await httpGet(`${base}${path}`)).status).toBe(401);

    agent.child.kill('SIGTERM');
    await agent.exited;
    expectNoSecret('stdout', agent.stdout());
    expectNoSecret('stderr', agent.stderr());
  });

  it('stay out of every file the agent writes, which only its user can read; recovery reads them from the configuration', {
    timeout: 60_000,
  }, async () => {
    const job = join(dir, 'orders-disk.mjs');
    await writeFile(
      job,
      `export default (ssc) => {
  ssc.fileTailStream(process.env.TAIL_FILE, { startAt: 'beginning' }).foreachRDD(async (rdd) => { await rdd.count(); });
${JOB.split('\n').slice(1).join('\n')}`,
    );
    const tail = join(dir, 'access.log');
    await writeFile(tail, 'GET /a\nGET /b\n');
    // A folder the agent creates (with its missing parent) and one the user made for the batch log.
    const checkpointDir = join(dir, 'state', 'orders');
    await mkdir(join(dir, 'logs'));
    const batchLog = join(dir, 'logs', 'batches.jsonl');
    const pushgateway = `http://pusher:${PUSHGATEWAY_PASSWORD}@127.0.0.1:${await freePort()}`;
    const config = join(dir, 'agent-disk.yaml');
    await writeFile(
      config,
      `httpToken: "${TOKEN}"\nbatchInterval: 300ms\nonBatchFailure: continue\n` +
        `checkpointDir: ${checkpointDir}\nbatchLog: ${batchLog}\npushgateway: ${pushgateway}\n`,
    );
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { DATABASE_URL, TAIL_FILE: tail };
    const args = ['run', job, '--config', config, '--http', `127.0.0.1:${port}`, '--max-task-failures', '1'];

    const first = spawnCli(args, { env });
    await eventually(
      async () => {
        const log = await readFile(batchLog, 'utf8');
        const positions = await readdir(join(checkpointDir, 'tail-positions'));
        const checkpoints = await readdir(join(checkpointDir, 'checkpoints'));
        return log.includes('"outcome":"failed"') && positions.length > 0 && checkpoints.length > 1
          ? true
          : undefined;
      },
      30_000,
      'a failed batch in the batch log, a tail position and checkpoints',
    );
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);

    const { dirs, files } = await walk(checkpointDir);
    // Checkpoints, the receiver's write-ahead log and block journal, and the tail position.
    for (const sub of ['checkpoints', 'receivers', 'tail-positions'])
      expect(
        dirs.some((d) => d.startsWith(join(checkpointDir, sub))),
        sub,
      ).toBe(true);
    expect(files.some((f) => f.endsWith('.wal'))).toBe(true);
    for (const d of [join(dir, 'state'), ...dirs]) await expectPrivate(d, 0o700);
    for (const f of files) {
      await expectPrivate(f, 0o600);
      await expectNoSecretIn(f);
    }
    // Each checkpoint still records the configuration, for diagnosis, with the secrets hidden.
    const newest = files
      .filter((f) => f.includes('checkpoint-'))
      .sort()
      .at(-1);
    expect(newest).toBeDefined();
    const recorded = decodeCheckpoint(await readFile(newest as string)).config;
    expect(recorded).toMatchObject({
      app: 'orders-disk',
      checkpointDir,
      httpToken: '[redacted]',
      pushgateway: { url: pushgateway.replace(`pusher:${PUSHGATEWAY_PASSWORD}`, '[redacted]') },
    });
    // The batch log keeps the failure reason, without the credentials, and only its owner reads it.
    const log = await readFile(batchLog, 'utf8');
    expect(log).toContain('postgres://[redacted]@db.internal:5432/orders');
    await expectNoSecretIn(batchLog);
    await expectPrivate(batchLog, 0o600);

    // Recovery needs nothing the checkpoints left out: the token comes from the configuration again.
    const second = spawnCli(args, { env });
    await eventually(
      async () => (second.stderr().includes('recovered from checkpoint') ? true : undefined),
      20_000,
      'recovery from the checkpoint',
    );
    expect((await httpGet(`${base}/api/status`)).status).toBe(401);
    const status = await eventually(async () => {
      const r = await httpGet(`${base}/api/status`, { Authorization: `Bearer ${TOKEN}` });
      return r.status === 200 ? r.body : undefined;
    });
    expect(JSON.parse(status).config).toMatchObject({ httpToken: '[redacted]', checkpointDir });
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    for (const out of [first.stdout(), first.stderr(), second.stdout(), second.stderr()])
      expectNoSecret('the output', out);
  });

  it('stay out of the error a failed batch stops the agent with, even with --verbose', async () => {
    const job = join(dir, 'orders-stop.mjs');
    await writeFile(job, JOB);
    const port = await freePort();
    const r = await runCli(
      [
        'run',
        job,
        '--http',
        `127.0.0.1:${port}`,
        '--batch-interval',
        '200ms',
        '--max-task-failures',
        '1',
        '--verbose',
      ],
      { env: { DATABASE_URL, SIDESTREAM_HTTP_TOKEN: TOKEN }, timeoutMs: 20_000 },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[SS_BATCH_FAILED]');
    expect(r.stderr).toContain('postgres://[redacted]@db.internal:5432/orders');
    expectNoSecret('stdout', r.stdout);
    expectNoSecret('stderr', r.stderr);
  });

  it('stay out of the message refusing a Graphite URL with credentials (flag, variable or file)', async () => {
    const url = `tcp://carbon:${GRAPHITE_PASSWORD}@127.0.0.1:2003`;
    const file = join(dir, 'graphite.yaml');
    await writeFile(file, `graphite:\n  url: ${url}\n`);
    for (const [args, env] of [
      [['validate', '--graphite', url], {}],
      [['validate'], { SIDESTREAM_GRAPHITE: url }],
      [['validate', '--config', file], {}],
      [['demo', '--graphite', url, '--http', '127.0.0.1:0'], {}],
    ] as [string[], Record<string, string>][]) {
      const r = await runCli(args, { env });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('tcp://[redacted]@127.0.0.1:2003');
      expectNoSecret('stdout', r.stdout);
      expectNoSecret('stderr', r.stderr);
    }
  });
});
