/**
 * The configuration table (src/agent/config/settings.ts) is the one list of settings: every row
 * has a flag or says why not, no name is used twice, the names keep the layers' convention, the
 * defaults the docs show are the defaults applied, secrets stay hidden, and the commander options
 * of run, demo and validate are exactly the table's flags, each naming its YAML key and variable.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { summarizeConfig } from '../../src/agent/agent-status.js';
import { addConfigOptions, configFlagValues, optionHelp } from '../../src/agent/config/cli-options.js';
import type { Setting } from '../../src/agent/config/setting.js';
import { envVarName, flagName } from '../../src/agent/config/setting-names.js';
import { SETTINGS } from '../../src/agent/config/settings.js';
import { resolveConfig } from '../../src/agent/config.js';
import { isSecretKey } from '../../src/redact.js';
import { MAX_TIMER_DELAY_MS, parseDurationMs } from '../../src/time.js';
import { runCli } from '../support/cli-process.js';

const ROWS: readonly Setting[] = SETTINGS;

/** Every row, top-level and nested, as `[dotted key, flag, variable, reason for no flag]`. */
const ALL: [string, string | undefined, string | undefined, string | undefined][] = ROWS.flatMap((s) => [
  [s.key, s.flag, s.env, s.noFlag] as [string, string | undefined, string | undefined, string | undefined],
  ...Object.entries(s.value.fields ?? {}).map(
    ([name, n]) =>
      [`${s.key}.${name}`, undefined, undefined, n.noFlag] as [string, undefined, undefined, string],
  ),
]);

/** The flags the CLI adds itself next to the settings' (cli-main.ts, commander; --connect* are validate's). */
const CLI_OWN_FLAGS = ['--config', '--verbose', '--help', '--version', '--connect', '--connect-timeout'];

function duplicates(names: readonly string[]): string[] {
  return names.filter((n, i) => names.indexOf(n) !== i);
}

describe('the settings table', () => {
  it('gives every setting a flag, or a reason why it has none (and never both)', () => {
    const missing = ALL.filter(([, flag, , reason]) => (flag === undefined) === !reason?.trim());
    expect(missing.map(([key]) => key)).toEqual([]);
    // The nested keys (graphite.prefix...) are the ones without a flag today.
    expect(ALL.filter(([, flag]) => flag === undefined).map(([key]) => key)).toEqual([
      'graphite.url',
      'graphite.prefix',
      'graphite.naming',
      'graphite.instance',
      'pushgateway.url',
      'pushgateway.interval',
    ]);
  });

  it('uses every YAML key, flag and variable once, and no flag of the CLI itself', () => {
    const keys = ALL.map(([key]) => key);
    const flags = ALL.flatMap(([, flag]) => (flag ? [flag] : []));
    const vars = ALL.flatMap(([, , env]) => (env ? [env] : []));
    expect(duplicates(keys)).toEqual([]);
    expect(duplicates(flags)).toEqual([]);
    expect(duplicates(vars)).toEqual([]);
    expect(flags.filter((f) => CLI_OWN_FLAGS.includes(f))).toEqual([]);
    expect(duplicates(ROWS.map((s) => s.configKey))).toEqual([]);
  });

  it('names flags and variables after the YAML key (--batch-interval, SIDESTREAM_BATCH_INTERVAL)', () => {
    for (const s of ROWS) {
      if (s.flag !== undefined) expect(s.flag, s.key).toBe(flagName(s.key));
      if (s.env !== undefined) expect(s.env, s.key).toBe(envVarName(s.key));
    }
  });

  it('shows each applied default as a value that parses to it', () => {
    let checked = 0;
    for (const s of ROWS) {
      if (!('value' in s.default)) continue;
      const parsed = s.value.schema.safeParse(s.default.shown);
      expect(parsed.success && parsed.data, s.key).toEqual(s.default.value);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("bounds every number and duration, the durations within what Node's timers can wait", () => {
    const kinds = ROWS.flatMap((s) => [
      [s.key, s.value] as const,
      ...Object.entries(s.value.fields ?? {}).map(([name, n]) => [`${s.key}.${name}`, n.value] as const),
    ]);
    const durations = kinds.filter(([, k]) => /duration|whole number/.test(k.form));
    expect(durations.map(([key]) => key)).toEqual([
      'batchInterval',
      'checkpointInterval',
      'walFsync',
      'restartBudget',
      'restartWindow',
      'maxTaskFailures',
      'shutdownTimeout',
      'jobLoadTimeout',
      'defaultParallelism',
      'executors',
      'pushgateway.interval',
      'batchSummaryInterval',
    ]);
    for (const [key, kind] of durations) {
      expect(kind.bounds, key).toMatch(/ to |at most/);
      if (!kind.form.includes('duration')) continue;
      // 597h is just above 2^31-1 ms; a number without a unit is never a duration.
      expect(kind.schema.safeParse('597h').success, `${key}: 597h`).toBe(false);
      expect(kind.schema.safeParse(10).success, `${key}: 10`).toBe(false);
      const longest = /(?:at most| to) (\S+)$/.exec(kind.bounds ?? '')?.[1] ?? '';
      expect(parseDurationMs(longest, key), key).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
      expect(kind.schema.safeParse(longest).success, `${key}: ${longest}`).toBe(true);
    }
  });

  it('gives switches (flags without a value) a kind that takes the true commander passes', () => {
    const switches = ROWS.filter((s) => s.flag !== undefined && s.placeholder === undefined);
    expect(switches.map((s) => s.key)).toEqual(['allowJobChange', 'supervise']);
    for (const s of switches) expect(s.value.schema.parse('true'), s.key).toBe(true);
  });

  it('keeps secrets out of messages and out of the status summary', async () => {
    const secrets = ROWS.filter((s) => s.secret === true);
    expect(secrets.map((s) => s.key)).toEqual(['httpToken']);
    for (const s of secrets) {
      expect(isSecretKey(s.configKey), `${s.configKey} is redacted by redact.ts's rules`).toBe(true);
      const bad = await resolveConfig({ flags: { [s.key]: 'Sh0rtS3cret' } });
      expect(bad.ok).toBe(false);
      if (!bad.ok) expect(bad.problems.map((p) => p.message).join('\n')).not.toContain('Sh0rtS3cret');
      const value = 'L0ngEnoughS3cretValue-0123456789';
      const good = await resolveConfig({ flags: { [s.key]: value } });
      if (!good.ok) throw new Error(good.problems.map((p) => p.message).join('\n'));
      expect((good.config as unknown as Record<string, unknown>)[s.configKey]).toBe(value);
      expect(JSON.stringify(summarizeConfig(good.config))).not.toContain(value);
    }
  });
});

describe('the commander options generated from the table', () => {
  function command(): Command {
    return addConfigOptions(new Command('run').exitOverride().configureOutput({ writeOut: () => {} }));
  }

  it('are the flags of the table, in its order, each naming its YAML key and variable', () => {
    const cmd = command();
    expect(cmd.options.map((o) => o.long)).toEqual(ROWS.flatMap((s) => (s.flag ? [s.flag] : [])));
    for (const option of cmd.options) {
      const s = ROWS.find((r) => r.flag === option.long);
      if (s === undefined) throw new Error(`${option.long} is not a flag of the table`);
      expect(option.description).toBe(optionHelp(s));
      expect(option.description).toContain(`(YAML ${s.key}, env ${s.env})`);
    }
    expect(cmd.helpInformation()).toContain('--batch-interval <duration>');
  });

  it('map parsed values back to the YAML keys of resolveConfig, switches as true', () => {
    const cmd = command();
    cmd.parse(['--batch-interval', '2s', '--supervise', '--http', '0.0.0.0:1', '--log-level', 'debug'], {
      from: 'user',
    });
    expect(configFlagValues(cmd.opts())).toEqual({
      batchInterval: '2s',
      supervise: 'true',
      http: '0.0.0.0:1',
      logLevel: 'debug',
    });
  });

  it('are what run, demo and validate offer, with a pointer to docs/configuration.md', async () => {
    for (const name of ['run', 'demo', 'validate']) {
      const r = await runCli([name, '--help']);
      expect(r.code, r.stderr).toBe(0);
      for (const s of ROWS) {
        if (s.flag) expect(r.stdout, `${name} --help`).toContain(s.flag);
      }
      expect(r.stdout).toMatch(/YAML batchInterval, env\s+SIDESTREAM_BATCH_INTERVAL/);
      // The pointer closes the options' text; only the examples (cli-examples.ts) come after it.
      expect(r.stdout).toMatch(/docs\/configuration\.md \(also in the package\)\.\n\nExamples:\n/);
    }
  });
});
