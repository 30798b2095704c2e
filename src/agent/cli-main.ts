/**
 * The `sidestream` command's body (loaded by cli.ts once signals are caught): run, demo, validate
 * and status. This file owns argument parsing and exit codes only: 0 ok, 1 a problem with the
 * setup or the run, 2 a usage error (unknown flag, missing argument), 130/143 a forced exit on a
 * second SIGINT/SIGTERM.
 */
import { Command, CommanderError } from 'commander';
import { SidestreamError } from '../errors.js';
import { addBundleCommands } from './bundle-commands.js';
import { addExamples } from './cli-examples.js';
import { addConfigOptions, configFlagValues } from './config/cli-options.js';
import { settingFor } from './config/settings.js';
import { type ConfigField, DEFAULT_HTTP, parseHttpAddress, resolveConfig } from './config.js';
import { failWhenLeftUnsettled } from './fail-when-left-unsettled.js';
import { configureLogger, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './logger.js';
import { packageVersion } from './package-version.js';
import { type JobRef, prepareJob } from './prepare-job.js';
import { note, reportError, USAGE_EXIT } from './report-error.js';
import { runAgent } from './run-agent.js';
import { runStatus } from './status-command.js';
import { SUPERVISED_ENV, supervise } from './supervisor.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, parseConnectTimeout, validateConnect } from './validate-connect.js';

/** commander's parsed options of `run`, `demo` and `validate`: --config, --verbose and the settings. */
interface AgentOptions {
  readonly config?: string;
  readonly verbose?: boolean;
  readonly [setting: string]: unknown;
}

/** The settings given as flags, by YAML key (resolveConfig's flag layer). */
type ConfigFlags = Partial<Record<ConfigField, string>>;

/** The options every command that builds a context shares; the settings come from the table. */
function addAgentOptions(command: Command): Command {
  command.option('--config <file>', 'YAML config file; flags and SIDESTREAM_* variables override it');
  return addConfigOptions(command).option('--verbose', 'print stack traces with errors');
}

/** A setting's variable in this process's environment. */
function fromEnv(key: ConfigField): string | undefined {
  const name = settingFor(key)?.env;
  return name === undefined ? undefined : process.env[name];
}

/**
 * The log settings before the configuration is resolved, from the flags and variables only, so
 * configuration problems are already logged in the asked-for format; an invalid value is ignored
 * here and reported with the other problems.
 */
function earlyLogSettings(flags: ConfigFlags): { level?: LogLevel; format?: LogFormat } {
  const level = flags.logLevel ?? fromEnv('logLevel');
  const format = flags.logFormat ?? fromEnv('logFormat');
  return {
    ...((LOG_LEVELS as readonly string[]).includes(level ?? '') ? { level: level as LogLevel } : {}),
    ...((LOG_FORMATS as readonly string[]).includes(format ?? '') ? { format: format as LogFormat } : {}),
  };
}

async function runJob(job: JobRef, options: AgentOptions): Promise<number> {
  const verbose = options.verbose === true;
  const flags = configFlagValues(options);
  configureLogger(earlyLogSettings(flags));
  if (process.env[SUPERVISED_ENV] !== '1') {
    const resolved = await resolveConfig({
      ...(options.config === undefined ? {} : { file: options.config }),
      env: process.env,
      flags,
    });
    if (resolved.ok && resolved.config.supervise) {
      // The same command line in a child; its own problems (config, job) are reported by it.
      return supervise({
        args: process.argv.slice(1),
        env: process.env,
        restartBudget: resolved.config.restartBudget,
        restartWindowMs: resolved.config.restartWindowMs,
        log: note,
        giveUp: (message) =>
          reportError(new SidestreamError('SS_RESTART_BUDGET_EXHAUSTED', message), verbose),
      });
    }
  }
  const prepared = await prepareJob({
    job,
    configFile: options.config,
    env: process.env,
    flags,
    recover: true,
    notes: true,
  });
  if (!prepared.ok) {
    for (const problem of prepared.problems) reportError(problem, verbose);
    return 1;
  }
  const { app, logLevel, logFormat } = prepared.config;
  configureLogger({
    app,
    ...(logLevel ? { level: logLevel } : {}),
    ...(logFormat ? { format: logFormat } : {}),
  });
  return runAgent({ config: prepared.config, ssc: prepared.ssc, version: packageVersion(), verbose });
}

async function validate(jobModule: string | undefined, options: AgentOptions): Promise<number> {
  const connectTimeoutMs = connectTimeout(options);
  if (connectTimeoutMs === undefined) return USAGE_EXIT;
  const flags = configFlagValues(options);
  configureLogger(earlyLogSettings(flags));
  const prepared = await prepareJob({
    job: jobModule === undefined ? undefined : { kind: 'module', specifier: jobModule },
    configFile: options.config,
    env: process.env,
    flags,
  });
  if (!prepared.ok) {
    for (const problem of prepared.problems) reportError(problem, options.verbose === true);
    return 1;
  }
  process.stdout.write('ok\n');
  if (options.connect !== true) return 0;
  return validateConnect(prepared.config, prepared.ssc, connectTimeoutMs, (text) =>
    process.stdout.write(text),
  );
}

/** `--connect-timeout` in ms (its default when not given); undefined after reporting a bad value. */
function connectTimeout(options: AgentOptions): number | undefined {
  const raw = options.connectTimeout;
  if (raw === undefined) return DEFAULT_CONNECT_TIMEOUT_MS;
  const parsed =
    options.connect === true
      ? parseConnectTimeout(String(raw))
      : { problem: '--connect-timeout only applies with --connect' };
  if ('ms' in parsed) return parsed.ms;
  reportError(
    new SidestreamError('SS_USAGE', `${parsed.problem}; run 'sidestream validate --help' for usage`),
    false,
  );
  return undefined;
}

async function status(flags: { http?: string; limit?: string; verbose?: boolean }): Promise<number> {
  const raw = flags.http ?? fromEnv('http');
  const address = raw === undefined || raw === '' ? DEFAULT_HTTP : parseHttpAddress(raw);
  const limit = Number(flags.limit ?? 10);
  if (!address || !Number.isInteger(limit) || limit < 1) {
    const what = !address
      ? `--http: '${raw}' must be HOST:PORT; for example 127.0.0.1:9464`
      : `--limit: '${flags.limit}' must be a whole number >= 1; for example 10`;
    reportError(new SidestreamError('SS_USAGE', what), false);
    return USAGE_EXIT;
  }
  try {
    await runStatus(address, limit);
    return 0;
  } catch (error) {
    reportError(error, flags.verbose === true);
    return 1;
  }
}

/** The whole command line; tests parse written lines with it without running them (test/support/cli-line.ts). */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('sidestream')
    .description('A micro-batch streaming engine and agent modelled on Spark Streaming')
    .version(packageVersion())
    // Parse errors come back as exceptions so main() can print them in the house format.
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  addAgentOptions(
    program
      .command('run')
      .description('run a job module (.js, .mjs or .ts whose default export declares the streams)')
      .argument('<job-module>', 'path of the job module'),
  ).action(async (jobModule: string, options: AgentOptions) => {
    setExit(await runJob({ kind: 'module', specifier: jobModule }, options));
  });

  addAgentOptions(program.command('demo').description('run the bundled demo job on synthetic events')).action(
    async (options: AgentOptions) => {
      setExit(await runJob({ kind: 'demo' }, options));
    },
  );

  addAgentOptions(
    program
      .command('validate')
      .description('check the configuration and that the job module declares a graph, without starting')
      .argument('[job-module]', 'path of the job module')
      .option(
        '--connect',
        "also check that the job's Kafka inputs and sinks, graphite and pushgateway answer",
      )
      .option('--connect-timeout <duration>', 'how long each --connect check may take; default 5s'),
  ).action(async (jobModule: string | undefined, options: AgentOptions) => {
    setExit(await validate(jobModule, options));
  });

  program
    .command('status')
    .description("print a running agent's recent batches")
    .option('--http <host:port>', `the agent's address (default ${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port})`)
    .option('--limit <n>', 'how many batches (default 10)')
    .option('--verbose', 'print stack traces with errors')
    .action(async (flags: { http?: string; limit?: string; verbose?: boolean }) => {
      setExit(await status(flags));
    });

  // dashboards and alerts: their flags and bodies are in bundle-commands.ts.
  addBundleCommands(program, setExit);
  addExamples(program);
  return program;
}

function usageError(error: CommanderError, argv: readonly string[]): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
  const command = argv.find((a) => ['run', 'demo', 'validate', 'status', 'dashboards', 'alerts'].includes(a));
  const hint = `run 'sidestream${command ? ` ${command}` : ''} --help' for usage`;
  if (error.code === 'commander.help') {
    // Commander has printed the help already: asked for (`sidestream help run`, exit code 0) or
    // because no command was given.
    return error.exitCode === 0 ? 0 : USAGE_EXIT;
  }
  const message = error.message
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  reportError(new SidestreamError('SS_USAGE', `${message}; ${hint}`), false);
  return USAGE_EXIT;
}

async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) return usageError(error, argv);
    throw error;
  }
  return exitCode;
}

/**
 * Exits once stdout and stderr have flushed: pipes are asynchronous on macOS, where a bare
 * process.exit() could cut off the last batch lines or the error message.
 */
function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

/** Runs the command line of this process and exits; cli.ts calls it once the module is loaded. */
export function runCli(): void {
  const verbose = process.argv.includes('--verbose');
  // Whatever escapes the engine's own error handling (a job's stray timer, say) still ends in one
  // readable line and a non-zero exit, like every other failure.
  process.on('uncaughtException', (error) => {
    reportError(error, verbose);
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    reportError(error, verbose);
    process.exit(1);
  });

  const command = main(process.argv);
  command.then(exitAfterFlush, (error: unknown) => {
    reportError(error, verbose);
    exitAfterFlush(1);
  });
  failWhenLeftUnsettled(command, () => {
    reportError(
      new Error(
        'the command stopped with its work unfinished: it was waiting for something that can never ' +
          'happen (a promise that never settles); please report this with the --verbose output',
      ),
      verbose,
    );
    exitAfterFlush(1);
  });
}
