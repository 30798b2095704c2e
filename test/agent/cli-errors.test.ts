import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killAll, REPO_ROOT, runCli, spawnCli } from '../support/cli-process.js';
import { runArgs } from '../support/run-args.js';

afterEach(killAll);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidestream-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function job(name: string, source: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, source);
  return path;
}

/** One `sidestream: error [CODE]: ...` line per problem and never a stack frame. */
function expectCleanError(stderr: string, code: string, fix: string): void {
  expect(stderr).toContain(`sidestream: error [${code}]: `);
  expect(stderr).toContain(fix);
  expect(stderr).not.toMatch(/^ {4}at /m);
}

describe('sidestream run: bad input', () => {
  it('missing job module', async () => {
    const r = await runCli(['run', 'no/such/job.ts']);
    expect(r.code).toBe(1);
    expectCleanError(r.stderr, 'SS_JOB_NOT_FOUND', 'check the path');
  });

  it('module without a default export function', async () => {
    const r = await runCli(['run', await job('named.mjs', 'export const job = () => {};\n')]);
    expect(r.code).toBe(1);
    expectCleanError(r.stderr, 'SS_JOB_NO_DEFAULT_EXPORT', 'export default function job(ssc)');
    expect(r.stderr).toContain('it exports only job');
  });

  it('window that is not a multiple of the batch interval', async () => {
    const path = await job(
      'window.mjs',
      'export default (ssc) => { ssc.queueStream([]).window(1500).print(); };\n',
    );
    const r = await runCli(['run', path, '--batch-interval', '1s']);
    expect(r.code).toBe(1);
    expectCleanError(r.stderr, 'SS_WINDOW_NOT_MULTIPLE', 'use 1s or 2s');
  });

  it('non-positive batch interval', async () => {
    const r = await runCli(['demo', '--batch-interval', '0s']);
    expect(r.code).toBe(1);
    expectCleanError(
      r.stderr,
      'SS_BATCH_INTERVAL_INVALID',
      "--batch-interval: '0s' must be > 0; for example 1s",
    );
  });

  it('a duration a timer cannot hold, a bare number and too many executors: refused before anything starts', async () => {
    const r = await runCli(
      ['demo', '--batch-interval', '1000h', '--shutdown-timeout', '10', '--executors', '100000'],
      { timeoutMs: 15_000 },
    );
    expect(r.code).toBe(1);
    expectCleanError(r.stderr, 'SS_BATCH_INTERVAL_INVALID', "--batch-interval: '1000h' must be at most 1h");
    expectCleanError(r.stderr, 'SS_CONFIG_INVALID', "--shutdown-timeout: '10' has no unit; write 10s");
    expectCleanError(r.stderr, 'SS_CONFIG_INVALID', "--executors: '100000' must be at most");
    expect(r.stderr).not.toContain('TimeoutOverflowWarning');
    expect(r.stderr.trim().split('\n')).toHaveLength(3);
  });

  it('unknown flag: exit 2, one line, a hint to --help', async () => {
    const r = await runCli(['demo', '--batch-intervl', '1s']);
    expect(r.code).toBe(2);
    expectCleanError(r.stderr, 'SS_USAGE', "unknown option '--batch-intervl'");
    expect(r.stderr).toContain("'sidestream demo --help'");
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('missing job argument is a usage error', async () => {
    const r = await runCli(['run']);
    expect(r.code).toBe(2);
    expectCleanError(r.stderr, 'SS_USAGE', "missing required argument 'job-module'");
  });

  it('a job that throws while declaring its graph; --verbose adds the stack', async () => {
    const path = await job('throws.mjs', "export default () => { throw new TypeError('boom'); };\n");
    const quiet = await runCli(['run', path]);
    expect(quiet.code).toBe(1);
    expectCleanError(quiet.stderr, 'SS_JOB_LOAD_FAILED', 'TypeError: boom');
    const verbose = await runCli(['run', path, '--verbose']);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toContain('[SS_JOB_LOAD_FAILED]');
    expect(verbose.stderr).toMatch(/^ {4}at /m);
  });

  it('HTTP address in use', async () => {
    const server: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const r = await runCli(['demo', '--http', `127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expectCleanError(r.stderr, 'SS_HTTP_BIND_FAILED', `127.0.0.1:${port}: the address is already in use`);
      expect(r.stderr).toContain('--http HOST:PORT');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a failed batch under onBatchFailure stop exits 1 with the reason', async () => {
    const path = await job(
      'fails.mjs',
      `export default (ssc) => {
  ssc.queueStream([[1, 2, 3]]).foreachRDD(async (rdd) => {
    await rdd.foreachPartition(() => { throw new RangeError('bad record'); });
  });
};
`,
    );
    const port = await freePort();
    const r = await runCli(
      runArgs({
        job: path,
        batchInterval: '100ms',
        flags: ['--max-task-failures', '2'],
        http: `127.0.0.1:${port}`,
      }),
    );
    expect(r.code).toBe(1);
    expectCleanError(r.stderr, 'SS_BATCH_FAILED', 'RangeError: bad record');
  });

  it('a stop that outlasts --shutdown-timeout exits 1; a second signal exits at once', async () => {
    const path = await job(
      'slow.mjs',
      `export default (ssc) => {
  ssc.queueStream([[1]]).foreachRDD(async (rdd) => {
    if ((await rdd.count()) > 0) {
      console.log('slow batch started');
      await new Promise((r) => setTimeout(r, 4000));
    }
  });
};
`,
    );
    const timedOut = spawnCli(
      runArgs({
        job: path,
        batchInterval: '100ms',
        flags: ['--shutdown-timeout', '300ms'],
        http: `127.0.0.1:${await freePort()}`,
      }),
    );
    await timedOut.waitForStdout(/slow batch started/);
    timedOut.child.kill('SIGTERM');
    expect((await timedOut.exited).code).toBe(1);
    expectCleanError(timedOut.stderr(), 'SS_STOP_TIMEOUT', 'raise --shutdown-timeout');

    const forced = spawnCli(
      runArgs({ job: path, batchInterval: '100ms', http: `127.0.0.1:${await freePort()}` }),
    );
    await forced.waitForStdout(/slow batch started/);
    forced.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    forced.child.kill('SIGTERM');
    expect((await forced.exited).code).toBe(143);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('sidestream validate', () => {
  it('prints ok for a good job and config', async () => {
    const config = join(dir, 'good.yaml');
    await writeFile(config, 'app: clicks\nbatchInterval: 2s\n');
    const r = await runCli(['validate', '--config', config, 'examples/clicks.mjs']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('ok');
  });

  it('lists every problem by path', async () => {
    const config = join(dir, 'bad.yaml');
    await writeFile(config, 'batchInterval: 0s\nbatchIntervl: 1s\nonBatchFailure: explode\n');
    const r = await runCli(['validate', '--config', config, 'missing-job.mjs'], {
      env: { SIDESTREAM_MAX_TASK_FAILURES: '0' },
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(r.stderr).toContain('[SS_JOB_NOT_FOUND]');
    expect(r.stderr).toContain(
      `[SS_BATCH_INTERVAL_INVALID]: ${config}: batchInterval: '0s' must be > 0; for example 1s`,
    );
    expect(r.stderr).toContain(`${config}: batchIntervl: unknown key; did you mean batchInterval?`);
    expect(r.stderr).toContain(`${config}: onBatchFailure: 'explode' must be 'stop' or 'continue'`);
    expect(r.stderr).toContain("SIDESTREAM_MAX_TASK_FAILURES: '0' must be a whole number >= 1");
    expect(r.stderr).not.toMatch(/^ {4}at /m);
  });

  it('a misspelt SIDESTREAM_* variable: validate lists it and run refuses; an unrelated one is a warning', async () => {
    const env = { SIDESTREAM_BATCH_INTERVL: '2s', SIDESTREAM_UNRELATED: 'x' };
    const validate = await runCli(['validate', 'examples/clicks.mjs', '--executors', '0'], { env });
    expect(validate.code).toBe(1);
    expect(validate.stdout).toBe('');
    expectCleanError(
      validate.stderr,
      'SS_CONFIG_INVALID',
      'SIDESTREAM_BATCH_INTERVL: unknown variable, not read; did you mean SIDESTREAM_BATCH_INTERVAL?',
    );
    expect(validate.stderr).toContain('SIDESTREAM_UNRELATED is not a variable of sidestream and is ignored');
    const run = await runCli(['run', 'examples/clicks.mjs', '--executors', '0'], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('did you mean SIDESTREAM_BATCH_INTERVAL?');

    const warned = await runCli(['validate', 'examples/clicks.mjs', '--executors', '0'], {
      env: { SIDESTREAM_UNRELATED: 'x' },
    });
    expect(warned.code).toBe(0);
    expect(warned.stdout.trim()).toBe('ok');
    expect(warned.stderr).toContain('SIDESTREAM_UNRELATED is not a variable of sidestream and is ignored');
  });

  it('reports a job that declares no output operation', async () => {
    const path = await job(
      'no-output.mjs',
      'export default (ssc) => { ssc.queueStream([]).map((x) => x); };\n',
    );
    const r = await runCli(['validate', path]);
    expect(r.code).toBe(1);
    expectCleanError(r.stderr, 'SS_NO_OUTPUT_OPERATIONS', 'add foreachRDD, print or saveAsTextFiles');
  });

  it("a TypeScript job importing values from 'sidestream' shares the agent's engine", async () => {
    // Inside the repo (.cache/ is git-ignored) so 'sidestream' resolves through package.json's
    // self-reference, as it does for a job in a project that installed sidestream.
    const jobDir = join(REPO_ROOT, '.cache', `agent-test-${process.pid}`);
    await mkdir(jobDir, { recursive: true });
    try {
      const path = join(jobDir, 'typed-job.ts');
      await writeFile(
        path,
        `import { SidestreamError, StreamingContext } from 'sidestream';
export default function job(ssc: StreamingContext): void {
  const words: string[][] = [['a']];
  ssc.queueStream(words).print();
  console.log(\`same engine: \${ssc instanceof StreamingContext} \${new SidestreamError('SS_USAGE', 'x').retriable}\`);
}
`,
      );
      const r = await runCli(['validate', path]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('same engine: true false');
      expect(r.code).toBe(0);
    } finally {
      await rm(jobDir, { recursive: true, force: true });
    }
  });
});

describe('sidestream status', () => {
  it('says which address it could not reach', async () => {
    const port = await freePort();
    const r = await runCli(['status', '--http', `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expectCleanError(r.stderr, 'SS_AGENT_UNREACHABLE', 'pass its address with --http HOST:PORT');
  });
});
