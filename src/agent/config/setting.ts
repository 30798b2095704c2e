/**
 * What one row of the configuration table (settings.ts) says about a setting: its names in each
 * layer (YAML key, flag, SIDESTREAM_* variable), the kind of value and its parser, the default and
 * how the docs show it, and its description. Everything else (the zod schema of each layer, the
 * commander options, docs/configuration.md) is generated from these rows.
 */
import type * as z from 'zod';
import type { ErrorCode } from '../../errors.js';
import type { AgentConfig } from './agent-config.js';

export interface ValueKind<T> {
  /** Parses one value from any layer (YAML gives numbers and booleans, flags and variables strings). */
  readonly schema: z.ZodType<T, unknown>;
  /** The value's form in docs/configuration.md: `duration`, `whole number`, ... (markdown). */
  readonly form: string;
  /** The limits the schema enforces beyond the form, as the docs state them; absent: none. */
  readonly bounds?: string;
  /** A mapping's keys (`graphite: {url, prefix, ...}`), each a row of its own; absent: a single value. */
  readonly fields?: Readonly<Record<string, NestedSetting>>;
}

/** What resolveConfig knows when it computes a default. */
export interface DefaultContext {
  /** The job file's base name, or `demo`; absent for `validate` without a job. */
  readonly defaultApp?: string;
}

export type SettingDefault<T> =
  /** resolveConfig applies `value`; `shown` writes it as a user would (a test parses it back). */
  | { readonly value: T; readonly shown: string }
  /** resolveConfig computes it when the agent starts; `shown` says from what. */
  | { readonly compute: (context: DefaultContext) => T; readonly shown: string }
  /** AgentConfig leaves it unset: the feature is off, or the engine applies the default `shown` names. */
  | { readonly unset: true; readonly shown: string };

interface Documented {
  /** One line of plain text, for docs/configuration.md and `--help`. */
  readonly description: string;
  /** What a number counts (`attempts`, `threads`); a duration carries its own unit. */
  readonly unit?: string;
  /** Never echoed in messages and redacted in /api/status (a test holds redact.ts to it). */
  readonly secret?: boolean;
}

/** A top-level setting: one key of the YAML file and one property of AgentConfig. */
export interface Setting<K extends keyof AgentConfig = keyof AgentConfig, Key extends string = string>
  extends Documented {
  /** The YAML key; commander's name for the flag's value is the same. */
  readonly key: Key;
  /** The AgentConfig property it resolves to. */
  readonly configKey: K;
  readonly flag?: `--${string}`;
  /** The flag's value in `--help` (`<duration>`); absent: a switch, true when given. */
  readonly placeholder?: `<${string}>`;
  readonly env?: `SIDESTREAM_${string}`;
  /** Why there is no flag (a test wants a flag or a reason). */
  readonly noFlag?: string;
  readonly value: ValueKind<NonNullable<AgentConfig[K]>>;
  readonly default: SettingDefault<NonNullable<AgentConfig[K]>>;
  /** The code of its problems when not SS_CONFIG_INVALID (the engine's own code for the value). */
  readonly errorCode?: ErrorCode;
}

/**
 * A key inside a mapping setting (`graphite.prefix`). Only the file writes mappings: the flag and
 * the variable of the mapping set its shorthand key, so a nested key has no flag of its own.
 */
export interface NestedSetting<T = unknown> extends Documented {
  readonly value: ValueKind<T>;
  /** The mapping is refused without it. */
  readonly required?: boolean;
  /** Whoever consumes the mapping (an exporter) applies it; resolveConfig leaves it unset. */
  readonly default: { readonly shown: string };
  readonly noFlag: string;
}

/** Declares one top-level row; the types tie its kind and default to AgentConfig[configKey]. */
export function setting<const Key extends string, K extends keyof AgentConfig>(
  row: Setting<K, Key>,
): Setting<K, Key> {
  return row;
}
