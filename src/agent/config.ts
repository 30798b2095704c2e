/**
 * Agent configuration resolution: the YAML file, the `SIDESTREAM_*` environment variables and
 * the command-line flags, merged flags > environment > file > defaults. Each layer is validated
 * on its own with the schema generated from the table (config/settings.ts), so every problem
 * names where it came from (the file's key, the variable or the flag) and how to fix it, and
 * `sidestream validate` can list them all at once.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { SidestreamError } from '../errors.js';
import { type AgentConfig, OPTIONAL_CONFIG_KEYS } from './config/agent-config.js';
import { didYouMean } from './config/did-you-mean.js';
import { type ConfigLayer, configLayerSchema } from './config/layer-schema.js';
import type { DefaultContext, SettingDefault } from './config/setting.js';
import { CONFIG_FIELDS, type ConfigField, SETTINGS, settingFor } from './config/settings.js';
import { unknownSidestreamVariables } from './config/sidestream-variables.js';
import { configFileValue } from './config-file-value.js';

// The configuration's public names, where they have always been imported from.
export type { AgentConfig, GraphiteConfig, PushgatewayConfig } from './config/agent-config.js';
export { didYouMean } from './config/did-you-mean.js';
export { DEFAULT_HTTP, type HttpAddress, parseHttpAddress } from './config/http-address.js';
export { type ConfigLayer, configLayerSchema } from './config/layer-schema.js';
export { envVarName, flagName } from './config/setting-names.js';
export {
  CONFIG_FIELDS,
  type ConfigField,
  DEFAULT_BATCH_INTERVAL_MS,
  DEFAULT_MAX_TASK_FAILURES,
  DEFAULT_RESTART_BUDGET,
  DEFAULT_RESTART_WINDOW_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
} from './config/settings.js';

export interface ConfigSources {
  /** Path of the YAML file (--config). */
  file?: string | undefined;
  /**
   * Usually process.env; only the table's `SIDESTREAM_*` variables are read, empty ones are
   * ignored (but a secret's is refused). Other `SIDESTREAM_*` variables are checked for
   * misspelt settings (config/sidestream-variables.ts).
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Command-line values by YAML key (commander's camel-cased option keys). */
  flags?: Readonly<Partial<Record<ConfigField, string | number | undefined>>>;
  /** Used when no layer names the app: the job file's base name, or `demo`; else `sidestream`. */
  defaultApp?: string;
}

/** `warnings`: what is not wrong enough to refuse but should be said (an unknown variable). */
export type ConfigResolution =
  | { readonly ok: true; readonly config: AgentConfig; readonly warnings: readonly string[] }
  | {
      readonly ok: false;
      readonly problems: readonly SidestreamError[];
      readonly warnings: readonly string[];
    };

/** Reads and merges every layer; never throws for bad input, it returns every problem instead. */
export async function resolveConfig(sources: ConfigSources): Promise<ConfigResolution> {
  const problems: SidestreamError[] = [];
  const warnings: string[] = [];
  const layers: ConfigLayer[] = [];
  if (sources.file !== undefined) {
    const file = sources.file;
    const raw = await readConfigFile(file, problems);
    if (raw !== undefined) layers.push(parseLayer(raw, (key) => `${file}: ${key}`, problems));
  }
  const env = sources.env ?? {};
  const fromEnv: Record<string, string> = {};
  for (const s of SETTINGS) {
    const value = s.env === undefined ? undefined : env[s.env];
    // An empty variable means "not set", except a secret's: ignoring `SIDESTREAM_HTTP_TOKEN=`
    // would silently run without the protection it was meant to give, so its kind refuses it.
    if (value !== undefined && (value !== '' || s.secret === true)) fromEnv[s.key] = value;
  }
  layers.push(parseLayer(fromEnv, (key) => settingFor(key)?.env ?? key, problems));
  checkOtherVariables(env, problems, warnings);
  const fromFlags: Record<string, string | number> = {};
  for (const s of SETTINGS) {
    const value = s.flag === undefined ? undefined : sources.flags?.[s.key];
    if (value !== undefined) fromFlags[s.key] = value;
  }
  layers.push(parseLayer(fromFlags, (key) => settingFor(key)?.flag ?? key, problems));

  // Later layers win, key by key.
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const previous = merged[key];
      // A later URL (flag or variable) keeps the file's other keys of a mapping (graphite.prefix...).
      if (settingFor(key)?.value.fields && isObject(previous) && isObject(value))
        merged[key] = { ...previous, ...definedOnly(value) };
      else merged[key] = value;
    }
  }
  if (problems.length > 0) return { ok: false, problems, warnings };
  const config: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const value = merged[s.key] ?? defaultValue(s.default, sources);
    if (value !== undefined || !OPTIONAL_CONFIG_KEYS.has(s.configKey)) config[s.configKey] = value;
  }
  // settings.ts checks at compile time that each row's kind and default produce its property's
  // type and that every property has a row.
  return { ok: true, config: config as unknown as AgentConfig, warnings };
}

const SETTING_VARIABLES: readonly string[] = SETTINGS.flatMap((s) => (s.env === undefined ? [] : [s.env]));

/**
 * A variable that looks like a misspelt setting is a problem (ignoring it would run with the
 * default, no token say); any other unknown `SIDESTREAM_*` variable is only worth a warning, since
 * the environment is shared with other programs.
 */
function checkOtherVariables(
  env: Readonly<Record<string, string | undefined>>,
  problems: SidestreamError[],
  warnings: string[],
): void {
  for (const { name, closest } of unknownSidestreamVariables(env, SETTING_VARIABLES)) {
    if (closest.length > 0) {
      problems.push(
        new SidestreamError(
          'SS_CONFIG_INVALID',
          `${name}: unknown variable, not read; did you mean ${closest.join(' or ')}?`,
        ),
      );
    } else {
      warnings.push(
        `${name} is not a variable of sidestream and is ignored; the settings' variables are in docs/configuration.md`,
      );
    }
  }
}

function defaultValue(d: SettingDefault<unknown>, context: DefaultContext): unknown {
  if ('value' in d) return d.value;
  if ('compute' in d) return d.compute(context);
  return undefined;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function definedOnly(value: object): object {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** The file's top-level mapping, or undefined after recording why it cannot be used. */
async function readConfigFile(file: string, problems: SidestreamError[]): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `config file ${file} not found (resolved from ${process.cwd()}); check the path or drop --config`
        : `config file ${file} cannot be read (${(error as Error).message}); check its permissions`;
    problems.push(new SidestreamError('SS_CONFIG_INVALID', reason, { cause: error }));
    return undefined;
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const where = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : '';
      const what = e.message.split('\n')[0];
      problems.push(
        new SidestreamError('SS_CONFIG_INVALID', `${file}: ${where}${what}; fix the YAML syntax there`),
      );
    }
    return undefined;
  }
  const converted = configFileValue(doc, file);
  if (!converted.ok) {
    problems.push(converted.problem);
    return undefined;
  }
  const value = converted.value;
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(
      new SidestreamError(
        'SS_CONFIG_INVALID',
        `${file}: the file must be a YAML mapping of settings, for example 'batchInterval: 1s'`,
      ),
    );
    return undefined;
  }
  return value;
}

function parseLayer(raw: unknown, where: (key: string) => string, problems: SidestreamError[]): ConfigLayer {
  const result = configLayerSchema.safeParse(raw);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys' && issue.path.length > 0) {
      // Inside a nested mapping (graphite:): name the full path.
      const [setting = '', ...nested] = issue.path.map(String);
      const fields = settingFor(setting)?.value.fields;
      const known = fields ? Object.keys(fields).join(', ') : 'see docs/configuration.md';
      for (const key of issue.keys) {
        problems.push(
          new SidestreamError(
            'SS_CONFIG_INVALID',
            `${where(setting)}${nested
              .map((p) => `.${p}`)
              .join('')}.${key}: unknown key; known keys: ${known}`,
          ),
        );
      }
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const guess = didYouMean(key, CONFIG_FIELDS);
        const hint = guess ? `did you mean ${guess}?` : `known keys: ${CONFIG_FIELDS.join(', ')}`;
        problems.push(new SidestreamError('SS_CONFIG_INVALID', `${where(key)}: unknown key; ${hint}`));
      }
      continue;
    }
    const field = String(issue.path[0] ?? '');
    const code = settingFor(field)?.errorCode ?? 'SS_CONFIG_INVALID';
    // A nested value (graphite.url) is named by its full path when the layer wrote a mapping.
    const nested =
      raw && typeof raw === 'object' && typeof (raw as Record<string, unknown>)[field] === 'object'
        ? issue.path
            .slice(1)
            .map((p) => `.${String(p)}`)
            .join('')
        : '';
    problems.push(new SidestreamError(code, `${where(field)}${nested}: ${issue.message}`));
  }
  // Keep the valid fields of a partly bad layer, so one typo does not hide the rest's problems.
  const partial: ConfigLayer = {};
  if (raw && typeof raw === 'object') {
    for (const field of CONFIG_FIELDS) {
      const one = configLayerSchema.shape[field].safeParse((raw as Record<string, unknown>)[field]);
      if (one.success && one.data !== undefined) partial[field] = one.data;
    }
  }
  return partial;
}
