/**
 * A job that imports kafkajs before sidestream keeps kafkajs' own read_committed filter (the
 * install comes too late): a fresh process shows it is detected, and the warning names the fix.
 * With sidestream first, the filter is ours.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const check = (first: string) =>
  execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `${first}
       const m = await import('./dist/sources/kafka/kafkajs-read-committed.js');
       m.warnIfKafkajsLeaksAborts();
       console.log(JSON.stringify({ correct: m.kafkajsFiltersCorrectly() }));`,
    ],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );

describe('kafkajs loaded before sidestream', () => {
  it('is detected and warned about; loaded after, the correct filter is installed', () => {
    const late = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import 'kafkajs';
         const m = await import('./dist/sources/kafka/kafkajs-read-committed.js');
         process.on('warning', (w) => console.log(JSON.stringify({ warning: w.code, message: w.message })));
         m.warnIfKafkajsLeaksAborts();
         console.log(JSON.stringify({ correct: m.kafkajsFiltersCorrectly() }));
         await new Promise((r) => setTimeout(r, 50));`,
      ],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(late).toContain('{"correct":false}');
    expect(late).toContain('SIDESTREAM_KAFKAJS_READ_COMMITTED');
    expect(late).toContain("import 'sidestream' before 'kafkajs'");
    expect(check('')).toContain('{"correct":true}');
  });
});
