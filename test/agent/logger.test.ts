import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/agent/config.js';
import { configureLogger, createLogger, formatTextLine } from '../../src/agent/logger.js';
import { formatError, note, reportError } from '../../src/agent/report-error.js';
import { SidestreamError } from '../../src/errors.js';

function capture() {
  const lines: string[] = [];
  return { lines, write: (line: string) => lines.push(line) };
}

afterEach(() => {
  configureLogger({});
});

/** A fixed clock for the entries' time, and how the text format must print it. */
const T = Date.UTC(2026, 11, 5, 7, 12, 3, 123);
const STAMP = '2026-12-05T07:12:03.123Z';
const now = () => T;

describe('agent logger', () => {
  it('text keeps the sidestream: lines after the time, with the code of an error', () => {
    const out = capture();
    configureLogger({ write: out.write, now });
    note('app clicks running');
    reportError(new SidestreamError('SS_STOP_TIMEOUT', 'in-flight batches did not finish'), false);
    reportError(new Error('boom'), false);
    expect(out.lines).toEqual([
      `${STAMP} sidestream: app clicks running\n`,
      `${STAMP} sidestream: error [SS_STOP_TIMEOUT]: in-flight batches did not finish\n`,
      `${STAMP} sidestream: error: boom (run with --verbose for the stack)\n`,
    ]);
  });

  it('text with --verbose puts the stack, unstamped, under the error line, exactly as formatError', () => {
    const out = capture();
    configureLogger({ write: out.write, now });
    const error = new SidestreamError('SS_JOB_LOAD_FAILED', 'cannot load', { cause: new TypeError('boom') });
    reportError(error, true);
    expect(out.lines[0]).toMatch(/^\S+Z sidestream: error \[SS_JOB_LOAD_FAILED\]: cannot load\n {4}at /);
    expect(out.lines[0]).toBe(`${STAMP} ${formatError(error, true)}\n`);
  });

  it('json: one JSON line per entry with app, level, msg, code and the structured fields', () => {
    const out = capture();
    configureLogger({ format: 'json', app: 'clicks', write: out.write });
    note('checkpoint written', { batchTime: 1000 });
    reportError(new SidestreamError('SS_BATCH_FAILED', 'batch failed'), false);
    const [info, error] = out.lines.map((l) => JSON.parse(l));
    expect(info).toMatchObject({ app: 'clicks', level: 'info', msg: 'checkpoint written', batchTime: 1000 });
    expect(typeof info.time).toBe('number');
    expect(error).toMatchObject({
      app: 'clicks',
      level: 'error',
      msg: 'batch failed',
      code: 'SS_BATCH_FAILED',
    });
    expect(error.stack).toBeUndefined();
  });

  it('levels: below the configured level nothing is written', () => {
    const out = capture();
    const logger = createLogger({ level: 'warn', write: out.write, now });
    logger.info('hidden');
    logger.debug('hidden');
    logger.warn('shown');
    expect(out.lines).toEqual([`${STAMP} sidestream: shown\n`]);
    const debug = createLogger({ level: 'trace', write: out.write, now });
    debug.debug('details');
    debug.trace('more');
    expect(out.lines.slice(1)).toEqual([
      `${STAMP} sidestream: debug: details\n`,
      `${STAMP} sidestream: trace: more\n`,
    ]);
    expect(debug.isEnabled('trace')).toBe(true);
    expect(logger.isEnabled('info')).toBe(false);
  });

  it('redacts secrets in both formats: URL user-info, secret query parameters, secret-named fields', () => {
    for (const format of ['text', 'json'] as const) {
      const out = capture();
      configureLogger({ format, write: out.write });
      note('connecting to postgres://app:hunter2@db:5432/clicks?sslpassword=s3cret', {
        url: 'kafka://u:pw1234@broker:9092',
        password: 'opensesame',
      });
      reportError(new Error('connect postgres://app:hunter2@db failed'), true);
      const text = out.lines.join('');
      for (const secret of ['hunter2', 's3cret', 'pw1234', 'opensesame']) expect(text).not.toContain(secret);
      expect(text).toContain('postgres://[redacted]@db');
      if (format === 'json') {
        const first = JSON.parse(out.lines[0]!);
        expect(first.url).toBe('kafka://[redacted]@broker:9092');
        expect(first.password).toBe('[redacted]');
      }
    }
  });

  it('text and json stamp an entry with the same time; by default the time of the call', () => {
    const text = capture();
    const json = capture();
    createLogger({ write: text.write, now }).info('x');
    createLogger({ format: 'json', write: json.write, now }).info('x');
    expect(JSON.parse(json.lines[0]!).time).toBe(T);
    expect(text.lines[0]!.startsWith(`${new Date(JSON.parse(json.lines[0]!).time).toISOString()} `)).toBe(
      true,
    );
    const live = capture();
    const before = Date.now();
    createLogger({ write: live.write }).info('x');
    const after = Date.now();
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) sidestream: x\n$/.exec(live.lines[0]!);
    expect(m, live.lines[0]).not.toBeNull();
    const stamped = Date.parse(m![1]!);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(after);
  });

  it('formatTextLine reads numeric and label levels, and stamps a record that has a time', () => {
    expect(formatTextLine({ level: 30, time: T, msg: 'x' })).toBe(`${STAMP} sidestream: x`);
    expect(formatTextLine({ level: 'error', time: 0, msg: 'x', stack: '    at f' })).toBe(
      '1970-01-01T00:00:00.000Z sidestream: error: x\n    at f',
    );
    expect(formatTextLine({ level: 50, msg: 'x', code: 'SS_USAGE' })).toBe('sidestream: error [SS_USAGE]: x');
    expect(formatTextLine({ level: 'fatal', msg: 'x', stack: '    at f' })).toBe(
      'sidestream: error: x\n    at f',
    );
    expect(formatTextLine({ level: 'warn', msg: 'x' })).toBe('sidestream: x');
  });
});

describe('logLevel and logFormat settings', () => {
  it('come from the file, SIDESTREAM_LOG_LEVEL / SIDESTREAM_LOG_FORMAT or the flags; default info, text', async () => {
    const defaults = await resolveConfig({});
    expect(defaults.ok && defaults.config).toMatchObject({ logLevel: 'info', logFormat: 'text' });
    const env = await resolveConfig({
      env: { SIDESTREAM_LOG_LEVEL: 'debug', SIDESTREAM_LOG_FORMAT: 'json' },
    });
    expect(env.ok && env.config).toMatchObject({ logLevel: 'debug', logFormat: 'json' });
    const flags = await resolveConfig({
      env: { SIDESTREAM_LOG_LEVEL: 'debug' },
      flags: { logLevel: 'warn', logFormat: 'text' },
    });
    expect(flags.ok && flags.config).toMatchObject({ logLevel: 'warn', logFormat: 'text' });
  });

  it('refuse other values, naming the flag or variable', async () => {
    const bad = await resolveConfig({ env: { SIDESTREAM_LOG_FORMAT: 'xml' }, flags: { logLevel: 'loud' } });
    expect(bad.ok).toBe(false);
    const messages = bad.ok ? [] : bad.problems.map((p) => p.message);
    expect(messages).toContainEqual(expect.stringMatching(/^SIDESTREAM_LOG_FORMAT: 'xml' must be 'text'/));
    expect(messages).toContainEqual(
      expect.stringMatching(/^--log-level: 'loud' must be one of trace, debug/),
    );
  });
});
