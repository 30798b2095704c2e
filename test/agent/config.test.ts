import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConfigResolution,
  type ConfigSources,
  didYouMean,
  envVarName,
  flagName,
  parseHttpAddress,
  resolveConfig,
} from '../../src/agent/config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidestream-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function yamlFile(text: string): Promise<string> {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(path, text);
  return path;
}

async function ok(sources: ConfigSources) {
  const r = await resolveConfig({ defaultApp: 'job', ...sources });
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.config;
}

function messages(r: ConfigResolution): string[] {
  if (r.ok) throw new Error('expected problems');
  return r.problems.map((p) => `[${p.code}] ${p.message}`);
}

describe('agent config', () => {
  it('applies the defaults', async () => {
    expect(await ok({})).toEqual({
      app: 'job',
      batchIntervalMs: 1000,
      checkpointDir: undefined,
      checkpointIntervalMs: undefined,
      allowJobChange: false,
      supervise: false,
      restartBudget: 5,
      restartWindowMs: 600_000,
      http: { host: '127.0.0.1', port: 9464 },
      batchLogPath: undefined,
      onBatchFailure: 'stop',
      maxTaskFailures: 4,
      shutdownTimeoutMs: 10_000,
      jobLoadTimeoutMs: 60_000,
      defaultParallelism: undefined,
      // Executor worker threads: one per core unless configured.
      executors: availableParallelism(),
      logLevel: 'info',
      logFormat: 'text',
      batchSummaryIntervalMs: 60_000,
    });
  });

  it('reads every field from a valid file', async () => {
    const file = await yamlFile(
      [
        'app: clicks',
        'batchInterval: 500ms',
        'checkpointDir: /var/lib/clicks',
        'checkpointInterval: 5s',
        'allowJobChange: true',
        'walFsync: 100ms',
        'supervise: true',
        'restartBudget: 3',
        'restartWindow: 5m',
        'http: 0.0.0.0:9100',
        'batchLog: batches.jsonl',
        'onBatchFailure: continue',
        'maxTaskFailures: 2',
        'shutdownTimeout: 30s',
        'jobLoadTimeout: 2m',
        'defaultParallelism: 8',
        'executors: 3',
        'logLevel: debug',
        'logFormat: json',
        'batchSummaryInterval: 5m',
      ].join('\n'),
    );
    expect(await ok({ file })).toEqual({
      app: 'clicks',
      batchIntervalMs: 500,
      checkpointDir: '/var/lib/clicks',
      checkpointIntervalMs: 5000,
      allowJobChange: true,
      walFsync: { mode: 'interval', intervalMs: 100 },
      supervise: true,
      restartBudget: 3,
      restartWindowMs: 300_000,
      http: { host: '0.0.0.0', port: 9100 },
      batchLogPath: 'batches.jsonl',
      onBatchFailure: 'continue',
      maxTaskFailures: 2,
      shutdownTimeoutMs: 30_000,
      jobLoadTimeoutMs: 120_000,
      defaultParallelism: 8,
      executors: 3,
      logLevel: 'debug',
      logFormat: 'json',
      batchSummaryIntervalMs: 300_000,
    });
  });

  it('allowJobChange comes from SIDESTREAM_ALLOW_JOB_CHANGE or the flag, and refuses non-booleans', async () => {
    expect((await ok({ env: { SIDESTREAM_ALLOW_JOB_CHANGE: 'true' } })).allowJobChange).toBe(true);
    expect(
      (await ok({ env: { SIDESTREAM_ALLOW_JOB_CHANGE: '1' }, flags: { allowJobChange: 'false' } }))
        .allowJobChange,
    ).toBe(false);
    const bad = await resolveConfig({ env: { SIDESTREAM_ALLOW_JOB_CHANGE: 'maybe' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.problems[0]?.message).toMatch(/SIDESTREAM_ALLOW_JOB_CHANGE: 'maybe' must be true or false/);
  });

  it('walFsync is always, never or a duration, from the file, SIDESTREAM_WAL_FSYNC or --wal-fsync', async () => {
    expect((await ok({ env: { SIDESTREAM_WAL_FSYNC: 'never' } })).walFsync).toEqual({ mode: 'never' });
    expect((await ok({ flags: { walFsync: 'always' } })).walFsync).toEqual({ mode: 'always' });
    expect((await ok({})).walFsync).toBeUndefined();
    const bad = await resolveConfig({ flags: { walFsync: 'sometimes' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.problems[0]?.message).toMatch(
        /--wal-fsync: 'sometimes' must be 'always', 'never' or a duration such as 100ms/,
      );
  });

  it('batchSummaryInterval is a duration from 1s to 24h, or 0 / off, from the file, the variable or the flag', async () => {
    expect((await ok({ env: { SIDESTREAM_BATCH_SUMMARY_INTERVAL: '30s' } })).batchSummaryIntervalMs).toBe(
      30_000,
    );
    expect((await ok({ flags: { batchSummaryInterval: 'off' } })).batchSummaryIntervalMs).toBe(0);
    expect((await ok({ flags: { batchSummaryInterval: '0' } })).batchSummaryIntervalMs).toBe(0);
    expect((await ok({ env: { SIDESTREAM_BATCH_SUMMARY_INTERVAL: '0s' } })).batchSummaryIntervalMs).toBe(0);
    expect((await ok({ file: await yamlFile('batchSummaryInterval: 0\n') })).batchSummaryIntervalMs).toBe(0);
    expect((await ok({ file: await yamlFile('batchSummaryInterval: off\n') })).batchSummaryIntervalMs).toBe(
      0,
    );
    // The flag wins over the variable, as for every setting.
    expect(
      (await ok({ env: { SIDESTREAM_BATCH_SUMMARY_INTERVAL: 'off' }, flags: { batchSummaryInterval: '2m' } }))
        .batchSummaryIntervalMs,
    ).toBe(120_000);
    const bad = await resolveConfig({
      file: await yamlFile('batchSummaryInterval: 60\n'),
      env: { SIDESTREAM_BATCH_SUMMARY_INTERVAL: '100ms' },
      flags: { batchSummaryInterval: 'sometimes' },
    });
    const all = messages(bad).join('\n');
    expect(all).toContain('batchSummaryInterval: 60 has no unit; write 60s');
    expect(all).toContain("SIDESTREAM_BATCH_SUMMARY_INTERVAL: '100ms' must be at least 1s, or 0 or off");
    expect(all).toContain("--batch-summary-interval: 'sometimes' is not a duration");
    expect(messages(await resolveConfig({ flags: { batchSummaryInterval: '25h' } })).join()).toContain(
      "'25h' must be at most 24h",
    );
  });

  it('refuses a duration without a unit (it used to mean milliseconds) and takes an empty file as no settings', async () => {
    const file = await yamlFile('batchInterval: 250\nshutdownTimeout: 10\n');
    expect(messages(await resolveConfig({ file }))).toEqual([
      `[SS_BATCH_INTERVAL_INVALID] ${file}: batchInterval: 250 has no unit; write 250s (or 250ms if you meant milliseconds)`,
      `[SS_CONFIG_INVALID] ${file}: shutdownTimeout: 10 has no unit; write 10s (or 10ms if you meant milliseconds)`,
    ]);
    expect((await ok({ file: await yamlFile('batchInterval: 250ms\n') })).batchIntervalMs).toBe(250);
    expect((await ok({ file: await yamlFile('') })).batchIntervalMs).toBe(1000);
  });

  it('refuses a string of digits as a duration from a variable or a flag too', async () => {
    expect(
      messages(
        await resolveConfig({
          env: { SIDESTREAM_SHUTDOWN_TIMEOUT: '10', SIDESTREAM_WAL_FSYNC: '100' },
          flags: { restartWindow: ' 600 ', checkpointInterval: '1.5' },
        }),
      ),
    ).toEqual([
      "[SS_CONFIG_INVALID] SIDESTREAM_WAL_FSYNC: '100' has no unit; write 100s (or 100ms if you meant milliseconds), or 'always' or 'never'; see docs/wal.md",
      "[SS_CONFIG_INVALID] SIDESTREAM_SHUTDOWN_TIMEOUT: '10' has no unit; write 10s (or 10ms if you meant milliseconds)",
      "[SS_CONFIG_INVALID] --checkpoint-interval: '1.5' has no unit; write 1.5s (or 1.5ms if you meant milliseconds)",
      "[SS_CONFIG_INVALID] --restart-window: ' 600 ' has no unit; write 600s (or 600ms if you meant milliseconds)",
    ]);
  });

  it("refuses durations longer than the setting's maximum, which stays within what a timer can wait", async () => {
    expect(
      messages(
        await resolveConfig({
          flags: { batchInterval: '1000h', shutdownTimeout: '1000h', walFsync: '5m' },
          env: { SIDESTREAM_RESTART_WINDOW: '25h' },
        }),
      ),
    ).toEqual([
      "[SS_CONFIG_INVALID] SIDESTREAM_RESTART_WINDOW: '25h' must be at most 24h; for example 10m",
      "[SS_BATCH_INTERVAL_INVALID] --batch-interval: '1000h' must be at most 1h; for example 1s",
      "[SS_CONFIG_INVALID] --wal-fsync: '5m' must be at most 1m; for example 100ms, or 'always' or 'never'; see docs/wal.md",
      "[SS_CONFIG_INVALID] --shutdown-timeout: '1000h' must be at most 1h; for example 10s",
    ]);
    const longest = await ok({
      flags: { batchInterval: '1h', shutdownTimeout: '1h', walFsync: '1m', restartWindow: '24h' },
    });
    expect(longest).toMatchObject({
      batchIntervalMs: 3_600_000,
      shutdownTimeoutMs: 3_600_000,
      walFsync: { mode: 'interval', intervalMs: 60_000 },
      restartWindowMs: 86_400_000,
    });
  });

  it('bounds the numbers: executors by the cores, the others by reason', async () => {
    const cores = availableParallelism();
    const file = await yamlFile(
      'executors: 100000\ndefaultParallelism: 1000000\nmaxTaskFailures: 1000\nrestartBudget: 1000\n',
    );
    expect(messages(await resolveConfig({ file }))).toEqual([
      `[SS_CONFIG_INVALID] ${file}: restartBudget: 1000 must be at most 100; for example 5`,
      `[SS_CONFIG_INVALID] ${file}: maxTaskFailures: 1000 must be at most 100; for example 4`,
      `[SS_CONFIG_INVALID] ${file}: defaultParallelism: 1000000 must be at most 1000; for example 4`,
      `[SS_CONFIG_INVALID] ${file}: executors: 100000 must be at most ${4 * cores} (4 × this machine's ${cores} cores); for example 2`,
    ]);
    expect(messages(await resolveConfig({ flags: { executors: String(4 * cores + 1) } }))).toEqual([
      `[SS_CONFIG_INVALID] --executors: '${4 * cores + 1}' must be at most ${4 * cores} (4 × this machine's ${cores} cores); for example 2`,
    ]);
    expect(
      await ok({
        flags: {
          executors: String(4 * cores),
          defaultParallelism: '1000',
          maxTaskFailures: '100',
          restartBudget: '100',
        },
      }),
    ).toMatchObject({
      executors: 4 * cores,
      defaultParallelism: 1000,
      maxTaskFailures: 100,
      restartBudget: 100,
    });
  });

  it('flags override the file; env overrides the file but not flags', async () => {
    const file = await yamlFile(
      'app: from-file\nbatchInterval: 5s\nhttp: 127.0.0.1:1000\nmaxTaskFailures: 7\n',
    );
    const config = await ok({
      file,
      env: { SIDESTREAM_BATCH_INTERVAL: '2s', SIDESTREAM_APP: 'from-env', SIDESTREAM_HTTP: '127.0.0.1:2000' },
      flags: { batchInterval: '3s' },
    });
    expect(config.batchIntervalMs).toBe(3000); // flag beats env and file
    expect(config.app).toBe('from-env'); // env beats file
    expect(config.http).toEqual({ host: '127.0.0.1', port: 2000 });
    expect(config.maxTaskFailures).toBe(7); // file beats the default
  });

  it('ignores empty and unrelated environment variables', async () => {
    const config = await ok({ env: { SIDESTREAM_APP: '', SIDESTREAM_UNRELATED: 'x', BATCH_INTERVAL: '0s' } });
    expect(config.app).toBe('job');
  });

  it('refuses a SIDESTREAM_* variable that looks like a misspelt setting, with a did-you-mean', async () => {
    const r = await resolveConfig({
      defaultApp: 'job',
      env: {
        SIDESTREAM_BATCH_INTERVL: '2s',
        SIDESTREAM_TOKEN: 'a'.repeat(32),
        SIDESTREAM_HTTP_TOKEN_FILE: '/run/secrets/token',
        SIDESTREAM_INTERVAL: '2s',
        SIDESTREAM_SUPERVISD: 'true',
      },
    });
    expect(messages(r)).toEqual([
      '[SS_CONFIG_INVALID] SIDESTREAM_BATCH_INTERVL: unknown variable, not read; did you mean SIDESTREAM_BATCH_INTERVAL?',
      '[SS_CONFIG_INVALID] SIDESTREAM_HTTP_TOKEN_FILE: unknown variable, not read; did you mean SIDESTREAM_HTTP_TOKEN?',
      '[SS_CONFIG_INVALID] SIDESTREAM_INTERVAL: unknown variable, not read; did you mean SIDESTREAM_BATCH_INTERVAL or SIDESTREAM_CHECKPOINT_INTERVAL or SIDESTREAM_BATCH_SUMMARY_INTERVAL?',
      '[SS_CONFIG_INVALID] SIDESTREAM_SUPERVISD: unknown variable, not read; did you mean SIDESTREAM_SUPERVISE?',
      '[SS_CONFIG_INVALID] SIDESTREAM_TOKEN: unknown variable, not read; did you mean SIDESTREAM_HTTP_TOKEN?',
    ]);
    // The token's value is never part of a message.
    expect(messages(r).join('\n')).not.toContain('a'.repeat(32));
  });

  it('warns about other unknown SIDESTREAM_* variables, and knows the ones sidestream sets or its scripts read', async () => {
    const r = await resolveConfig({
      defaultApp: 'job',
      env: {
        SIDESTREAM_UNRELATED: 'x',
        SIDESTREAM_SUPERVISED: '1',
        SIDESTREAM_RESTARTS: '2',
        SIDESTREAM_RUN: '/tmp/run',
        SIDESTREAM_CHROMIUM: '/usr/bin/chromium',
        SIDESTREAM_BATCH_INTERVL: '',
      },
    });
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
    expect(r.warnings).toEqual([
      "SIDESTREAM_UNRELATED is not a variable of sidestream and is ignored; the settings' variables are in docs/configuration.md",
    ]);
    expect((await resolveConfig({ env: { SIDESTREAM_APP: 'x' } })).warnings).toEqual([]);
  });

  it('names each bad field by its path, with the fix', async () => {
    const file = await yamlFile(
      'batchInterval: 0s\nmaxTaskFailures: 0\nonBatchFailure: explode\nhttp: nowhere\napp: my app\nshutdownTimeout: soon\n',
    );
    const problems = messages(await resolveConfig({ file }));
    expect(problems).toEqual(
      expect.arrayContaining([
        `[SS_BATCH_INTERVAL_INVALID] ${file}: batchInterval: '0s' must be > 0; for example 1s`,
        `[SS_CONFIG_INVALID] ${file}: maxTaskFailures: 0 must be a whole number >= 1; for example 4`,
        `[SS_CONFIG_INVALID] ${file}: onBatchFailure: 'explode' must be 'stop' or 'continue'`,
        expect.stringContaining(`${file}: http: 'nowhere' must be HOST:PORT`),
        expect.stringContaining(`${file}: app: 'my app' may contain only letters, digits, '-' and '_'`),
        expect.stringContaining(`${file}: shutdownTimeout: 'soon' is not a duration`),
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  it('names the variable or the flag when the bad value came from there', async () => {
    const problems = messages(
      await resolveConfig({
        defaultApp: 'job',
        env: { SIDESTREAM_BATCH_INTERVAL: 'fast', SIDESTREAM_DEFAULT_PARALLELISM: '1.5' },
        flags: { batchInterval: '-1s', maxTaskFailures: 'many' },
      }),
    );
    expect(problems).toEqual([
      "[SS_BATCH_INTERVAL_INVALID] SIDESTREAM_BATCH_INTERVAL: 'fast' is not a duration; write a number with a unit, for example 1s",
      "[SS_CONFIG_INVALID] SIDESTREAM_DEFAULT_PARALLELISM: '1.5' must be a whole number >= 1; for example 4",
      "[SS_BATCH_INTERVAL_INVALID] --batch-interval: '-1s' is not a duration; write a number with a unit, for example 1s",
      "[SS_CONFIG_INVALID] --max-task-failures: 'many' must be a whole number >= 1; for example 4",
    ]);
  });

  it('refuses unknown keys, with a did-you-mean', async () => {
    const file = await yamlFile('batch_interval: 1s\ncolour: blue\n');
    const problems = messages(await resolveConfig({ file, defaultApp: 'job' }));
    expect(problems).toEqual([
      `[SS_CONFIG_INVALID] ${file}: batch_interval: unknown key; did you mean batchInterval?`,
      expect.stringMatching(new RegExp(`${file}: colour: unknown key; known keys: app, batchInterval, `)),
    ]);
  });

  it('reports a missing file, bad YAML and a file that is not a mapping', async () => {
    expect(messages(await resolveConfig({ file: join(dir, 'absent.yaml') }))[0]).toMatch(
      /config file .*absent\.yaml not found .*; check the path or drop --config/,
    );
    const broken = await yamlFile('app: [unclosed\n');
    expect(messages(await resolveConfig({ file: broken }))[0]).toMatch(
      /line \d+, column \d+: .*fix the YAML syntax/,
    );
    const list = await yamlFile('- app: x\n');
    expect(messages(await resolveConfig({ file: list }))[0]).toContain('must be a YAML mapping');
  });

  it('maps fields to variable and flag names', () => {
    expect(envVarName('batchInterval')).toBe('SIDESTREAM_BATCH_INTERVAL');
    expect(envVarName('http')).toBe('SIDESTREAM_HTTP');
    expect(flagName('onBatchFailure')).toBe('--on-batch-failure');
  });

  it('parses HOST:PORT including IPv6 and port 0', () => {
    expect(parseHttpAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseHttpAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseHttpAddress('localhost:70000')).toBeUndefined();
    expect(parseHttpAddress('9464')).toBeUndefined();
  });

  it('suggests only plausible keys', () => {
    expect(didYouMean('batchIntervl', ['app', 'batchInterval'])).toBe('batchInterval');
    expect(didYouMean('BATCH-INTERVAL', ['app', 'batchInterval'])).toBe('batchInterval');
    expect(didYouMean('colour', ['app', 'batchInterval'])).toBeUndefined();
  });
});

describe('agent config: graphite', () => {
  it('is absent unless configured; --graphite and SIDESTREAM_GRAPHITE take a URL', async () => {
    expect((await ok({})).graphite).toBeUndefined();
    expect((await ok({ flags: { graphite: 'tcp://127.0.0.1:2003' } })).graphite).toEqual({
      url: 'tcp://127.0.0.1:2003',
      target: { protocol: 'tcp', host: '127.0.0.1', port: 2003 },
    });
    expect((await ok({ env: { SIDESTREAM_GRAPHITE: 'udp://[::1]:2003' } })).graphite?.target).toEqual({
      protocol: 'udp',
      host: '::1',
      port: 2003,
    });
  });

  it('reads the mapping from the file; a flag URL keeps its prefix, naming and instance', async () => {
    const file = await yamlFile(
      [
        'graphite:',
        '  url: tcp://carbon:2003',
        '  prefix: prod.sidestream',
        '  naming: tagged',
        '  instance: host-1',
      ].join('\n'),
    );
    expect((await ok({ file })).graphite).toEqual({
      url: 'tcp://carbon:2003',
      target: { protocol: 'tcp', host: 'carbon', port: 2003 },
      prefix: 'prod.sidestream',
      naming: 'tagged',
      instance: 'host-1',
    });
    const g = (await ok({ file, flags: { graphite: 'udp://127.0.0.1:2003' } })).graphite;
    expect(g).toMatchObject({ url: 'udp://127.0.0.1:2003', prefix: 'prod.sidestream', naming: 'tagged' });
  });

  it('names each bad graphite value by its path', async () => {
    const file = await yamlFile(
      ['graphite:', '  url: http://carbon:2003', '  naming: flat', '  instance: a.b', '  prefx: x'].join(
        '\n',
      ),
    );
    const r = messages(await resolveConfig({ file, flags: { graphite: 'carbon:2003' } }));
    expect(r).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          `${file}: graphite.url: 'http://carbon:2003' must be tcp://HOST:PORT or udp://HOST:PORT`,
        ),
        expect.stringContaining(`${file}: graphite.naming: 'flat' must be 'dotted' or 'tagged'`),
        expect.stringContaining(`${file}: graphite.instance: 'a.b' may contain only`),
        expect.stringContaining(`${file}: graphite.prefx: unknown key`),
        expect.stringContaining("--graphite: 'carbon:2003' must be tcp://HOST:PORT"),
      ]),
    );
    expect(messages(await resolveConfig({ env: { SIDESTREAM_GRAPHITE: 'tcp://h:99999' } }))).toEqual([
      "[SS_CONFIG_INVALID] SIDESTREAM_GRAPHITE: 'tcp://h:99999' must be tcp://HOST:PORT or udp://HOST:PORT; for example tcp://127.0.0.1:2003",
    ]);
  });
});

describe('agent config: pushgateway', () => {
  it('is absent unless configured; --pushgateway and SIDESTREAM_PUSHGATEWAY take a URL', async () => {
    expect((await ok({})).pushgateway).toBeUndefined();
    expect((await ok({ flags: { pushgateway: 'http://127.0.0.1:9091' } })).pushgateway).toEqual({
      url: 'http://127.0.0.1:9091',
    });
    expect(
      (await ok({ env: { SIDESTREAM_PUSHGATEWAY: 'https://gw.example:443/prefix' } })).pushgateway,
    ).toEqual({
      url: 'https://gw.example:443/prefix',
    });
  });

  it('reads url and interval from the file; a flag URL keeps the interval', async () => {
    const file = await yamlFile(['pushgateway:', '  url: http://gw:9091', '  interval: 15s'].join('\n'));
    expect((await ok({ file })).pushgateway).toEqual({ url: 'http://gw:9091', intervalMs: 15_000 });
    expect((await ok({ file, flags: { pushgateway: 'http://other:9091' } })).pushgateway).toEqual({
      url: 'http://other:9091',
      intervalMs: 15_000,
    });
  });

  it('names each bad pushgateway value by its path', async () => {
    const file = await yamlFile(
      ['pushgateway:', '  url: tcp://gw:9091', '  interval: 0s', '  job: x'].join('\n'),
    );
    const r = messages(await resolveConfig({ file, flags: { pushgateway: 'gw:9091' } }));
    expect(r).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          `${file}: pushgateway.url: 'tcp://gw:9091' must be an http:// or https:// URL`,
        ),
        expect.stringContaining(`${file}: pushgateway.interval:`),
        expect.stringContaining(`${file}: pushgateway.job: unknown key; known keys: url, interval`),
        expect.stringContaining("--pushgateway: 'gw:9091' must be an http:// or https:// URL"),
      ]),
    );
  });
});
