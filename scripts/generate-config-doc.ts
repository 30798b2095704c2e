/**
 * Writes docs/configuration.md from the configuration table (src/agent/config/settings.ts):
 * `npm run docs:config`. test/agent/config-doc.test.ts fails when the committed page differs from
 * what this renders, so the reference cannot drift from the settings the agent accepts.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { NestedSetting, Setting } from '../src/agent/config/setting.js';
import { SETTINGS } from '../src/agent/config/settings.js';

export const CONFIG_DOC_PATH = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));

/** The example of the page; the doc test resolves it, so it stays a valid file. */
export const EXAMPLE_YAML = `# sidestream.yaml: sidestream run job.mjs --config sidestream.yaml
app: clicks
batchInterval: 2s
checkpointDir: /var/lib/sidestream/clicks
http: 0.0.0.0:9464          # the token comes from SIDESTREAM_HTTP_TOKEN (below)
shutdownTimeout: 20s
executors: 2
graphite:
  url: tcp://carbon.internal:2003
  prefix: prod.sidestream
pushgateway: http://pushgateway.internal:9091
logFormat: json
`;

/** One row of the page: a top-level setting, or a key of a mapping setting. */
interface Row {
  readonly key: string;
  readonly flag: string;
  readonly env: string;
  readonly form: string;
  readonly shownDefault: string;
  readonly unit: string;
  readonly bounds: string;
  readonly description: string;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
const code = (text: string) => `\`${text}\``;
/** `docs/wal.md` in a description becomes a link from this page, which is in docs/ too. */
const linked = (text: string) => text.replace(/\bdocs\/([\w-]+\.md)\b/g, '[$1]($1)');

function topRow(s: Setting): Row {
  return {
    key: code(s.key),
    flag: s.flag ? code(s.placeholder ? `${s.flag} ${s.placeholder}` : s.flag) : `none (${s.noFlag ?? ''})`,
    env: s.env ? code(s.env) : 'none',
    form: s.value.form,
    shownDefault: 'value' in s.default ? code(s.default.shown) : s.default.shown,
    unit: s.unit ?? '',
    bounds: s.value.bounds ?? '',
    description: linked(s.description) + (s.secret ? '; **secret** (see above)' : ''),
  };
}

function nestedRow(parent: Setting, name: string, n: NestedSetting): Row {
  return {
    key: code(`${parent.key}.${name}`),
    flag: `none (${n.noFlag})`,
    env: 'none',
    form: n.value.form,
    shownDefault: n.default.shown,
    unit: n.unit ?? '',
    bounds: n.value.bounds ?? '',
    description: linked(n.description) + (n.required ? '; required in the mapping' : ''),
  };
}

/** Every row of the table, a mapping's keys right after it. */
export function configRows(): Row[] {
  const rows: Row[] = [];
  for (const s of SETTINGS as readonly Setting[]) {
    rows.push(topRow(s));
    for (const [name, n] of Object.entries(s.value.fields ?? {})) rows.push(nestedRow(s, name, n));
  }
  return rows;
}

export function renderConfigDoc(): string {
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/agent/config/settings.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Every setting of the agent (`sidestream run`, `demo` and `validate`), from the one table in',
    '`src/agent/config/settings.ts`. A setting can be given in three places; the first that sets it wins:',
    '',
    '1. a command-line flag: `--batch-interval 2s`;',
    "2. a `SIDESTREAM_*` environment variable: `SIDESTREAM_BATCH_INTERVAL=2s` (an empty one is ignored, but a secret's is refused);",
    '3. a key of the YAML file given with `--config FILE`: `batchInterval: 2s`;',
    '',
    'and otherwise the default below. Each place is checked on its own, so a problem names the file and',
    'key, the variable or the flag, and says what to write instead; `sidestream validate --config FILE`',
    'lists every problem at once without starting anything (`SS_CONFIG_INVALID` in',
    "[errors.md](errors.md)). `sidestream run --help` names each flag's key and variable too.",
    '',
    "The `SIDESTREAM_` prefix is sidestream's. A variable with it that is not in the table but looks",
    'like a misspelt one (`SIDESTREAM_BATCH_INTERVL`, `SIDESTREAM_TOKEN`, `SIDESTREAM_HTTP_TOKEN_FILE`)',
    'is a problem like an unknown key (`did you mean SIDESTREAM_HTTP_TOKEN?`): ignoring it would run',
    'with the default. Any other unknown one is ignored with a warning.',
    '',
    'A duration is a number with a unit, `ms`, `s`, `m` or `h` (`500ms`, `1.5s`, `10m`); a number',
    'without one (`shutdownTimeout: 10`) is refused rather than guessed: write `10s` or `10ms`. Every',
    'number and duration has the bounds below: the longest durations stay well within the 24.8 days',
    "Node's timers can wait, and `executors` is at most 4 threads per core of the machine.",
    'A switch (`--supervise`) takes no value on the command line; in the file it is',
    '`true` or `false`, as a variable also `1`/`0` or `yes`/`no`. `graphite` and `pushgateway` are',
    'mappings in the file (`graphite.prefix` is `prefix:` under `graphite:`) or a bare URL; their flag',
    "and variable give the URL and keep the file's other keys of the mapping.",
    '',
    '## Example',
    '',
    '```yaml',
    ...EXAMPLE_YAML.trimEnd().split('\n'),
    '```',
    '',
    '## Secrets',
    '',
    'Settings marked **secret** are never quoted in messages, and `/api/status` and the status page',
    'show them as `[redacted]`. Give them as variables, from a Kubernetes Secret or a systemd',
    "`EnvironmentFile` only the agent's user can read, or in a config file with the same permissions;",
    'not as flags, which other users of the machine can read with `ps`. URLs with credentials',
    '(`graphite`, `pushgateway`) are shown without their user-info; see',
    '[deployment.md](deployment.md#secrets-are-never-shown). A secret that is set but empty',
    '(`SIDESTREAM_HTTP_TOKEN=`) is refused, never taken to mean "none": leave it unset for that; one',
    'with whitespace around it (a secret made with `echo` ends with a newline) is refused too.',
    '',
    '## Settings',
    '',
    '| YAML key | Flag | Variable | Value | Default | Unit | Bounds | Description |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of configRows()) {
    const cells = [r.key, r.flag, r.env, r.form, r.shownDefault, r.unit, r.bounds, r.description];
    lines.push(`| ${cells.map(cell).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(CONFIG_DOC_PATH, renderConfigDoc());
  console.log(`wrote ${CONFIG_DOC_PATH}`);
}
