/**
 * The `SIDESTREAM_*` variables of the environment that are not settings. A file key the table
 * does not have is refused; a variable cannot simply be, since the environment is shared with
 * other programs. So a variable that looks like a misspelt setting (`SIDESTREAM_BATCH_INTERVL`,
 * `SIDESTREAM_TOKEN`, `SIDESTREAM_HTTP_TOKEN_FILE`) is a problem naming the setting it resembles,
 * because ignoring it would silently run with the default (no token, say); any other unknown
 * one is a warning, and the variables sidestream itself sets or its scripts read are known.
 */
import { RESTARTS_ENV, SUPERVISED_ENV } from '../supervisor.js';
import { didYouMean } from './did-you-mean.js';

const PREFIX = 'SIDESTREAM_';

/** `SIDESTREAM_*` variables that are not settings yet are read by sidestream, so never unknown. */
export const OTHER_SIDESTREAM_VARIABLES: readonly string[] = [
  // Set by the supervisor in its child's environment (supervisor.ts).
  SUPERVISED_ENV,
  RESTARTS_ENV,
  // Read by the development scripts and tests (docs/services.md, scripts/chromium.sh).
  'SIDESTREAM_RUN',
  'SIDESTREAM_CACHE',
  'SIDESTREAM_KAFKA_VERSION',
  'SIDESTREAM_WAIT_SECONDS',
  'SIDESTREAM_CHROMIUM',
];

export interface UnknownVariable {
  readonly name: string;
  /** The settings' variables it looks like a misspelling of; empty: it resembles none. */
  readonly closest: readonly string[];
}

/**
 * The non-empty `SIDESTREAM_*` variables of `env` that are neither in `settingVariables` nor
 * OTHER_SIDESTREAM_VARIABLES, each with the settings' variables it resembles.
 */
export function unknownSidestreamVariables(
  env: Readonly<Record<string, string | undefined>>,
  settingVariables: readonly string[],
): UnknownVariable[] {
  const known = new Set([...settingVariables, ...OTHER_SIDESTREAM_VARIABLES]);
  const unknown: UnknownVariable[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(PREFIX) || known.has(name) || value === undefined || value === '') continue;
    unknown.push({ name, closest: closestVariables(name, settingVariables) });
  }
  return unknown.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A misspelling (an edit or two, compared without the shared prefix, which would make every
 * pair look alike); else the settings whose words all appear in the name (`HTTP_TOKEN_FILE`),
 * the longest first; else those containing all of its words (`TOKEN`, `INTERVAL`).
 */
function closestVariables(name: string, settingVariables: readonly string[]): string[] {
  const suffix = (v: string) => v.slice(PREFIX.length);
  const typo = didYouMean(suffix(name), settingVariables.map(suffix));
  if (typo !== undefined) return [`${PREFIX}${typo}`];
  const words = (v: string) => suffix(v).split('_').filter(Boolean);
  const own = new Set(words(name));
  const within = settingVariables.filter((v) => words(v).every((w) => own.has(w)));
  if (within.length > 0) {
    const most = Math.max(...within.map((v) => words(v).length));
    return within.filter((v) => words(v).length === most);
  }
  if (own.size === 0) return [];
  return settingVariables.filter((v) => [...own].every((w) => words(v).includes(w)));
}
