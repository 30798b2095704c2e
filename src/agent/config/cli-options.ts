/**
 * The configuration flags of `run`, `demo` and `validate`: one commander option per row of the
 * table that has a flag, its help naming the YAML key and the variable of the same setting, and
 * the way back from commander's parsed options to resolveConfig's flag layer.
 */
import { type Command, Option } from 'commander';
import type { Setting } from './setting.js';
import { type ConfigField, SETTINGS } from './settings.js';

/** The generated reference of every setting (scripts/generate-config-doc.ts writes it). */
export const CONFIG_DOC = 'docs/configuration.md';

const HELP_FOOTER = [
  '',
  'A setting can also come from the --config YAML file or a SIDESTREAM_* variable',
  '(named under each option): flags win over variables, variables over the file.',
  `All settings, defaults and bounds: ${CONFIG_DOC} (also in the package).`,
].join('\n');

type FlagSetting = Setting & { readonly flag: `--${string}` };

const ROWS: readonly Setting[] = SETTINGS;
const FLAG_SETTINGS = ROWS.filter((s): s is FlagSetting => s.flag !== undefined);

/**
 * The help of one option: what it does and its default, then where else it can be set. An option
 * that is off unless given (default `none`) does not say so.
 */
export function optionHelp(s: Setting): string {
  const elsewhere = [`YAML ${s.key}`, ...(s.env ? [`env ${s.env}`] : [])].join(', ');
  const byDefault = s.default.shown === 'none' ? '' : `; default ${s.default.shown}`;
  return `${s.description}${byDefault}\n(${elsewhere})`;
}

function optionOf(s: FlagSetting): Option {
  return new Option(s.placeholder ? `${s.flag} ${s.placeholder}` : s.flag, optionHelp(s));
}

/** Adds an option for every setting with a flag, in the table's order, and the help's footer. */
export function addConfigOptions(command: Command): Command {
  for (const s of FLAG_SETTINGS) command.addOption(optionOf(s));
  return command.addHelpText('after', HELP_FOOTER);
}

/** commander's parsed options -> resolveConfig's flags (by YAML key; a switch given is 'true'). */
export function configFlagValues(
  options: Readonly<Record<string, unknown>>,
): Partial<Record<ConfigField, string>> {
  const out: Partial<Record<ConfigField, string>> = {};
  for (const s of FLAG_SETTINGS) {
    const value = options[optionOf(s).attributeName()];
    // The rows' keys are the ConfigFields: Setting widens them to string.
    if (value !== undefined) out[s.key as ConfigField] = String(value);
  }
  return out;
}
