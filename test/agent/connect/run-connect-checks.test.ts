/**
 * runConnectChecks without a network: lines come back in the order the checks (and their slots)
 * were listed whatever order they finished in; a throw (even before the probe's first await)
 * becomes one FAIL line; a check that runs out of time keeps what it reported, gets its silent
 * slots or its pending step as FAIL lines, is aborted, and cannot add lines after its report is
 * over.
 */
import { describe, expect, it } from 'vitest';
import type { CheckProgress, ConnectCheck } from '../../../src/agent/connect/connect-check.js';
import { runConnectChecks } from '../../../src/agent/connect/run-connect-checks.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function check(target: string, run: (p: CheckProgress) => Promise<void>): ConnectCheck {
  return { target, service: 'the thing', run };
}

describe('runConnectChecks', () => {
  it('keeps the listed order of checks and slots, not the order they finished in', async () => {
    const lines = await runConnectChecks(
      [
        check('slow', async (p) => {
          await sleep(60);
          p.report('ok', 'slow answered');
        }),
        check('slots', async (p) => {
          const first = p.slot('broker a');
          const second = p.slot('broker b');
          setTimeout(() => first('ok', 'a answered'), 40);
          second('FAIL', 'b refused');
          p.report('ok', 'topic t has 1 partition');
        }),
        check('broken', async () => {
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
        }),
        check('throws at once', () => {
          throw new TypeError('Invalid URL');
        }),
      ],
      2000,
    );
    expect(lines.map((l) => [l.status, l.target, l.detail])).toEqual([
      ['ok', 'slow', 'slow answered'],
      ['ok', 'broker a', 'a answered'],
      ['FAIL', 'broker b', 'b refused'],
      ['ok', 'slots', 'topic t has 1 partition'],
      ['FAIL', 'broken', 'connection refused (ECONNREFUSED); is the thing running there, on that port?'],
      ['FAIL', 'throws at once', 'TypeError: Invalid URL'],
    ]);
    expect(lines[0]?.ms).toBeGreaterThanOrEqual(50);
  });

  it('bounds a check by the timeout: what answered stays, the pending step fails, the probe is aborted', async () => {
    let aborted = false;
    let lateReport: (() => void) | undefined;
    const started = Date.now();
    const lines = await runConnectChecks(
      [
        check('hangs', async (p) => {
          p.signal.addEventListener('abort', () => {
            aborted = true;
          });
          p.report('ok', 'brokers answer');
          p.step('reading the group');
          lateReport = () => p.report('ok', 'too late');
          await new Promise(() => {});
        }),
      ],
      150,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    lateReport?.();
    expect(aborted).toBe(true);
    expect(lines.map((l) => [l.status, l.detail])).toEqual([
      ['ok', 'brokers answer'],
      [
        'FAIL',
        'no answer within 150ms (reading the group); check the address and that the thing is up, or raise --connect-timeout on a slow network',
      ],
    ]);
  });

  it('a silent slot fails on its own line, without a second line for the run waiting on it', async () => {
    const lines = await runConnectChecks(
      [
        check('all brokers', async (p) => {
          const a = p.slot('broker a');
          p.slot('broker b');
          a('FAIL', 'a refused');
          await new Promise(() => {});
        }),
      ],
      100,
    );
    expect(lines.map((l) => [l.status, l.target, l.detail.split(';')[0]])).toEqual([
      ['FAIL', 'broker a', 'a refused'],
      ['FAIL', 'broker b', 'no answer within 100ms'],
    ]);
  });
});
