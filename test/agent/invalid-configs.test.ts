/**
 * Invalid configurations, one per row: each is refused with exactly one message that names the
 * offending setting by its path (the file and key, nested keys dotted, or the variable or flag)
 * and says what to write instead. Values that may be secrets are never echoed: a URL keeps its
 * host but loses its user:password@, and the HTTP token is not quoted at all.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigSources, resolveConfig } from '../../src/agent/config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidestream-invalid-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function problems(sources: ConfigSources): Promise<string[]> {
  const r = await resolveConfig({ defaultApp: 'job', ...sources });
  if (r.ok) throw new Error('expected the configuration to be refused');
  return r.problems.map((p) => `[${p.code}] ${p.message}`);
}

/** [the YAML file's text, the one message expected; FILE stands for the file's path]. */
const FILE_CASES: [string, string][] = [
  ['batchInterval: 0s', "[SS_BATCH_INTERVAL_INVALID] FILE: batchInterval: '0s' must be > 0; for example 1s"],
  [
    'batchInterval: fast',
    "[SS_BATCH_INTERVAL_INVALID] FILE: batchInterval: 'fast' is not a duration; write a number with a unit, for example 1s",
  ],
  [
    'batchInterval: [1s]',
    '[SS_BATCH_INTERVAL_INVALID] FILE: batchInterval: ["1s"] is not a duration; write a number with a unit, for example 1s',
  ],
  [
    'app: my app',
    "[SS_CONFIG_INVALID] FILE: app: 'my app' may contain only letters, digits, '-' and '_' (it becomes the app label of every metric); for example clicks-prod",
  ],
  [
    "app: ''",
    "[SS_CONFIG_INVALID] FILE: app: '' may contain only letters, digits, '-' and '_' (it becomes the app label of every metric); for example clicks-prod",
  ],
  ['app: 42', '[SS_CONFIG_INVALID] FILE: app: 42 must be a name; for example clicks'],
  [
    'app: a.b',
    "[SS_CONFIG_INVALID] FILE: app: 'a.b' may contain only letters, digits, '-' and '_' (it becomes the app label of every metric); for example clicks-prod",
  ],
  [
    'http: nowhere',
    "[SS_CONFIG_INVALID] FILE: http: 'nowhere' must be HOST:PORT with a port up to 65535; for example 127.0.0.1:9464 (or [::1]:9464)",
  ],
  [
    'http: 127.0.0.1:70000',
    "[SS_CONFIG_INVALID] FILE: http: '127.0.0.1:70000' must be HOST:PORT with a port up to 65535; for example 127.0.0.1:9464 (or [::1]:9464)",
  ],
  [
    'http: 9464',
    '[SS_CONFIG_INVALID] FILE: http: 9464 must be HOST:PORT with a port up to 65535; for example 127.0.0.1:9464 (or [::1]:9464)',
  ],
  [
    'maxTaskFailures: 0',
    '[SS_CONFIG_INVALID] FILE: maxTaskFailures: 0 must be a whole number >= 1; for example 4',
  ],
  [
    'maxTaskFailures: two',
    "[SS_CONFIG_INVALID] FILE: maxTaskFailures: 'two' must be a whole number >= 1; for example 4",
  ],
  [
    'defaultParallelism: 1.5',
    '[SS_CONFIG_INVALID] FILE: defaultParallelism: 1.5 must be a whole number >= 1; for example 4',
  ],
  [
    'onBatchFailure: explode',
    "[SS_CONFIG_INVALID] FILE: onBatchFailure: 'explode' must be 'stop' or 'continue'",
  ],
  [
    'shutdownTimeout: -1s',
    "[SS_CONFIG_INVALID] FILE: shutdownTimeout: '-1s' is not a duration; write a number with a unit, for example 10s",
  ],
  [
    "checkpointDir: ''",
    '[SS_CONFIG_INVALID] FILE: checkpointDir: must be a directory path, not empty; for example /var/lib/sidestream/clicks; or remove it to use the default',
  ],
  ['batchLog: {}', '[SS_CONFIG_INVALID] FILE: batchLog: {} must be a file path; for example batches.jsonl'],
  [
    'graphite: http://carbon:2003',
    "[SS_CONFIG_INVALID] FILE: graphite: 'http://carbon:2003' must be tcp://HOST:PORT or udp://HOST:PORT; for example tcp://127.0.0.1:2003",
  ],
  [
    'graphite: {url: "tcp://h:2003", naming: fancy}',
    "[SS_CONFIG_INVALID] FILE: graphite.naming: 'fancy' must be 'dotted' or 'tagged'",
  ],
  [
    'graphite: {url: "tcp://h:2003", prefix: "a..b"}',
    "[SS_CONFIG_INVALID] FILE: graphite.prefix: 'a..b' must be dot-separated names of letters, digits, '-' and '_'; for example prod.sidestream",
  ],
  [
    'graphite: {url: "tcp://h:2003", colour: red}',
    '[SS_CONFIG_INVALID] FILE: graphite.colour: unknown key; known keys: url, prefix, naming, instance',
  ],
  [
    'graphite: {prefix: x}',
    '[SS_CONFIG_INVALID] FILE: graphite.url: an empty value must be tcp://HOST:PORT or udp://HOST:PORT; for example tcp://127.0.0.1:2003',
  ],
  [
    'graphite: 5',
    '[SS_CONFIG_INVALID] FILE: graphite: 5 must be tcp://HOST:PORT, udp://HOST:PORT or a mapping with url (and optional prefix, naming, instance)',
  ],
  [
    'graphite: {url: "tcp://h:2003", instance: "a.b"}',
    "[SS_CONFIG_INVALID] FILE: graphite.instance: 'a.b' may contain only letters, digits, '-' and '_' (it is one Graphite path segment); for example host-1",
  ],
  [
    'httpToken: short',
    '[SS_CONFIG_INVALID] FILE: httpToken: must be at least 16 characters; for example the output of `openssl rand -hex 32`',
  ],
  [
    'httpToken: 12345678901234567890',
    '[SS_CONFIG_INVALID] FILE: httpToken: must be a string (quote it in YAML); the value is not shown',
  ],
  [
    'httpToken: "   "',
    '[SS_CONFIG_INVALID] FILE: httpToken: is only whitespace; set the token itself, for example the output of `openssl rand -hex 32`; the value is not shown',
  ],
  [
    'httpToken: "Tr4iling-newline-0123456789\\n"',
    '[SS_CONFIG_INVALID] FILE: httpToken: has whitespace or a line break around or in it, which a request cannot carry, so it would never match (a secret made with `echo` ends with a newline): create it with `printf %s` or `echo -n`, or trim it; the value is not shown',
  ],
  [
    "httpToken: ''",
    "[SS_CONFIG_INVALID] FILE: httpToken: is set but empty, which is not taken to mean 'no token'; set the token, for example the output of `openssl rand -hex 32`, or unset it to go without one",
  ],
  [
    'batch_interval: 1s',
    '[SS_CONFIG_INVALID] FILE: batch_interval: unknown key; did you mean batchInterval?',
  ],
  [
    'graphite: tcp://carbon:GraphitePw1@127.0.0.1:2003',
    "[SS_CONFIG_INVALID] FILE: graphite: 'tcp://[redacted]@127.0.0.1:2003' must be tcp://HOST:PORT or udp://HOST:PORT; for example tcp://127.0.0.1:2003",
  ],
];

describe('invalid configuration files', () => {
  it.each(FILE_CASES)('%s', async (yaml, expected) => {
    const file = join(dir, `${FILE_CASES.findIndex(([y]) => y === yaml)}.yaml`);
    await writeFile(file, `${yaml}\n`);
    expect(await problems({ file })).toEqual([expected.replaceAll('FILE', file)]);
  });

  it('has more than 20 cases, each naming its path', () => {
    expect(FILE_CASES.length).toBeGreaterThan(20);
    for (const [yaml, message] of FILE_CASES) {
      const key = yaml.split(':')[0]!;
      expect(message).toMatch(new RegExp(`^\\[SS_[A-Z_]+\\] FILE: ${key}[.:]`));
    }
  });
});

describe('invalid environment variables and flags', () => {
  it('name the variable or the flag, and never echo credentials or the token', async () => {
    const all = await problems({
      env: {
        SIDESTREAM_HTTP: 'nowhere',
        SIDESTREAM_HTTP_TOKEN: 'short',
        SIDESTREAM_GRAPHITE: 'udp://u:EnvPw@h:1',
      },
      flags: { graphite: 'tcp://carbon:FlagPw@h:2003', onBatchFailure: 'retry' },
    });
    expect(all).toEqual([
      "[SS_CONFIG_INVALID] SIDESTREAM_HTTP: 'nowhere' must be HOST:PORT with a port up to 65535; for example 127.0.0.1:9464 (or [::1]:9464)",
      "[SS_CONFIG_INVALID] SIDESTREAM_GRAPHITE: 'udp://[redacted]@h:1' must be tcp://HOST:PORT or udp://HOST:PORT; for example tcp://127.0.0.1:2003",
      '[SS_CONFIG_INVALID] SIDESTREAM_HTTP_TOKEN: must be at least 16 characters; for example the output of `openssl rand -hex 32`',
      "[SS_CONFIG_INVALID] --on-batch-failure: 'retry' must be 'stop' or 'continue'",
      "[SS_CONFIG_INVALID] --graphite: 'tcp://[redacted]@h:2003' must be tcp://HOST:PORT or udp://HOST:PORT; for example tcp://127.0.0.1:2003",
    ]);
    expect(all.join('\n')).not.toMatch(/EnvPw|FlagPw|short'/);
  });

  it('refuse a token with whitespace around it, only whitespace, or set but empty, naming where it came from', async () => {
    const token = 'Sp4ced-token-0123456789abcdef';
    const cases: [ConfigSources, string][] = [
      [
        { env: { SIDESTREAM_HTTP_TOKEN: `${token}\n` } },
        'SIDESTREAM_HTTP_TOKEN: has whitespace or a line break',
      ],
      [
        { env: { SIDESTREAM_HTTP_TOKEN: `  ${token}` } },
        'SIDESTREAM_HTTP_TOKEN: has whitespace or a line break',
      ],
      [{ env: { SIDESTREAM_HTTP_TOKEN: '\n' } }, 'SIDESTREAM_HTTP_TOKEN: is only whitespace'],
      [
        { env: { SIDESTREAM_HTTP_TOKEN: '' } },
        "SIDESTREAM_HTTP_TOKEN: is set but empty, which is not taken to mean 'no token'",
      ],
      [{ flags: { httpToken: `${token} ` } }, '--http-token: has whitespace or a line break'],
      [{ flags: { httpToken: '' } }, '--http-token: is set but empty'],
    ];
    for (const [sources, says] of cases) {
      const all = await problems(sources);
      expect(all, JSON.stringify(sources)).toEqual([expect.stringContaining(`[SS_CONFIG_INVALID] ${says}`)]);
      expect(all.join('\n')).not.toContain(token);
    }
    // Unset, there is no token; an empty variable of another setting still means "not set".
    const none = await resolveConfig({ env: { SIDESTREAM_APP: '' } });
    expect(none.ok && none.config.httpToken).toBeUndefined();
  });

  it('--http-token is the flag of httpToken', async () => {
    expect(await problems({ flags: { httpToken: 'abc' } })).toEqual([
      '[SS_CONFIG_INVALID] --http-token: must be at least 16 characters; for example the output of `openssl rand -hex 32`',
    ]);
    const ok = await resolveConfig({ flags: { httpToken: 'a'.repeat(32) } });
    expect(ok.ok && ok.config.httpToken).toBe('a'.repeat(32));
  });
});
