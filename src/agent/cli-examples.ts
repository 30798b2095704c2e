/**
 * The examples each command's --help ends with, by command name (`sidestream` for the program
 * itself): the first thing a newcomer copies. One table, so a new command adds its examples here
 * beside the others; test/agent/cli-examples.test.ts checks that every registered command has
 * some, that each line parses with the CLI's own options, and runs the `validate` ones.
 *
 * Lines name files that exist in the repository (examples/) or that the reader obviously brings
 * (job.ts, sidestream.yaml as docs/configuration.md shows it), so they work when copied.
 */
import type { Command } from 'commander';

export interface CliExample {
  /** The whole command line, starting with `sidestream`. */
  readonly line: string;
  /** What it does, shown above it as a shell comment. */
  readonly says: string;
}

export const CLI_EXAMPLES: Readonly<Record<string, readonly CliExample[]>> = {
  sidestream: [
    { line: 'sidestream demo', says: 'synthetic events, one line per batch, metrics on :9464' },
    { line: 'sidestream run examples/clicks.mjs', says: 'run a job module' },
    { line: 'sidestream help run', says: "a command's options and examples" },
  ],
  run: [
    {
      line: 'sidestream run examples/clicks.mjs --batch-interval 2s',
      says: 'a job in plain JavaScript, a batch every 2 seconds',
    },
    {
      line: 'sidestream run job.ts --config sidestream.yaml --supervise',
      says: 'settings from a file; restart the engine if it crashes',
    },
    {
      line: 'sidestream run job.ts --checkpoint-dir /var/lib/sidestream/clicks',
      says: 'offset log, state checkpoints and write-ahead log: a restart resumes',
    },
    {
      line: 'sidestream run job.ts --http 0.0.0.0:9464 --log-format json',
      says: 'reachable from other hosts (set SIDESTREAM_HTTP_TOKEN), logs as JSON lines',
    },
  ],
  demo: [
    { line: 'sidestream demo', says: 'the demo on http://127.0.0.1:9464/' },
    {
      line: 'sidestream demo --batch-interval 500ms --http 127.0.0.1:9465',
      says: 'faster batches, on another port',
    },
  ],
  validate: [
    { line: 'sidestream validate examples/clicks.mjs', says: 'the job module declares a graph: prints ok' },
    {
      line: 'sidestream validate --config sidestream.yaml examples/clicks.mjs',
      says: 'the same, with the settings of a configuration file',
    },
    {
      line: 'sidestream validate --config sidestream.yaml --batch-interval 500ms',
      says: 'the configuration alone, with a flag over it',
    },
  ],
  status: [
    { line: 'sidestream status', says: 'the recent batches of the agent on 127.0.0.1:9464' },
    { line: 'sidestream status --http 127.0.0.1:9465 --limit 20', says: 'another agent, 20 batches' },
  ],
  dashboards: [
    {
      line: `sidestream dashboards --out grafana/ --datasource-uid prom-eu --selector 'cluster="eu-1"'`,
      says: 'the four dashboards for your datasource, reading only cluster eu-1',
    },
    {
      line: 'sidestream dashboards --dashboard overview',
      says: 'one dashboard as JSON on stdout',
    },
  ],
  alerts: [
    { line: 'sidestream alerts --out rules/', says: 'the rule files as shipped' },
    {
      line: `sidestream alerts --out rules/ --selector 'cluster="eu-1"' --threshold SidestreamTaskFailures=10 --for SidestreamBatchesQueueing=10m --runbook-url https://git.example.com/sidestream/blob/main/docs/runbooks.md`,
      says: 'your selectors, a threshold, a for and your runbook links',
    },
  ],
};

/** The `Examples:` section of one command's help; '' when the table has none for it. */
export function examplesHelp(name: string): string {
  const examples = CLI_EXAMPLES[name] ?? [];
  if (examples.length === 0) return '';
  const lines = examples.flatMap((e) => [`  # ${e.says}`, `  $ ${e.line}`]);
  return ['', 'Examples:', ...lines].join('\n');
}

/**
 * Ends the help of the program and of each of its commands with its examples. Called last, so
 * the examples come after every other text (the settings' footer naming docs/configuration.md).
 */
export function addExamples(program: Command): void {
  for (const command of [program, ...program.commands]) {
    const help = examplesHelp(command.name());
    if (help !== '') command.addHelpText('after', help);
  }
}
