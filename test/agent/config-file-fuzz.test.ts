/**
 * Property: whatever a configuration file holds (YAML built from the settings' keys and hostile
 * pieces: anchors and aliases, alias bombs, tags, flow and block collections, deep nesting,
 * special numbers, directives, several documents, broken indentation; or any text at all),
 * resolveConfig resolves a valid configuration or returns coded problems that each name the file,
 * within a bounded time, and never throws.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/agent/config/settings.js';
import { CONFIG_FIELDS, resolveConfig } from '../../src/agent/config.js';
import { isSidestreamError } from '../../src/errors.js';

/** The codes a configuration problem may carry: the generic one and the settings' own. */
const CODES = new Set<string>([
  'SS_CONFIG_INVALID',
  ...SETTINGS.flatMap((s) => ('errorCode' in s && s.errorCode !== undefined ? [s.errorCode] : [])),
]);
/** Generous for one small file; a case that takes longer is a resource-exhaustion bug. */
const CASE_BUDGET_MS = 2000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidestream-config-fuzz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const anchorName = fc.constantFrom('a', 'b', 'c');
const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...CONFIG_FIELDS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'url',
      'prefix',
      'naming',
      'instance',
      'interval',
      '<<',
      '__proto__',
      'constructor',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('? [a, b]', '"quoted key"', "'single'", '"\\u0000"', '1', 'null', '~', ''),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const scalar = fc.oneof(
  fc.constantFrom(
    '1s',
    '0s',
    '-1s',
    '250ms',
    '1e400',
    '1e-400',
    '.inf',
    '-.inf',
    '.nan',
    '0x1F',
    '0o17',
    '0b11',
  ),
  fc.constantFrom(
    'true',
    'false',
    'yes',
    'on',
    'null',
    '~',
    '',
    "''",
    '""',
    '"\\u0000"',
    '"\\x00"',
    '|',
    '>',
  ),
  fc.constantFrom('127.0.0.1:9464', '[::1]:9464', '0.0.0.0:0', 'tcp://127.0.0.1:2003', 'http://u:p@gw:9091'),
  fc.constantFrom('always', 'never', 'stop', 'continue', 'debug', 'json', '2001-12-14t21:59:43.10-05:00'),
  fc.constantFrom('99999999999999999999999999999999999999', '-0', '1_000', '3.5', "'it''s'", '"tab\\there"'),
  fc.integer().map(String),
  fc.string({ maxLength: 12 }),
);
const tag = fc.constantFrom(
  '!!str ',
  '!!int ',
  '!!float ',
  '!!bool ',
  '!!null ',
  '!!binary ',
  '!!timestamp ',
  '!!set ',
  '!!omap ',
  '!!pairs ',
  '!!map ',
  '!!seq ',
  '!foo ',
  '!<tag:x,2000:y> ',
  '!!js/function ',
);

/** A YAML value on one line (flow style), nested up to a few levels. */
const { flow } = fc.letrec<{ flow: string }>((tie) => ({
  flow: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: scalar },
    { weight: 1, arbitrary: fc.tuple(tag, scalar).map(([t, v]) => t + v) },
    { weight: 1, arbitrary: fc.tuple(anchorName, tie('flow')).map(([a, v]) => `&${a} ${v}`) },
    { weight: 1, arbitrary: anchorName.map((a) => `*${a}`) },
    { weight: 1, arbitrary: fc.array(tie('flow'), { maxLength: 4 }).map((items) => `[${items.join(', ')}]`) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(key, tie('flow')), { maxLength: 4 })
        .map((pairs) => `{${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
    },
  ),
}));

/** A block-style value: a nested mapping or sequence under the key, or a flow value. */
const block = fc.oneof(
  { weight: 4, arbitrary: flow.map((v) => ` ${v}`) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(key, flow), { minLength: 1, maxLength: 3 })
      .map((pairs) => `\n${pairs.map(([k, v]) => `  ${k}: ${v}`).join('\n')}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(flow, { minLength: 1, maxLength: 3 })
      .map((items) => `\n${items.map((v) => `  - ${v}`).join('\n')}`),
  },
);

const line = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(key, block).map(([k, v]) => `${k}:${v}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '---',
      '...',
      '%YAML 1.1\n---',
      '%TAG ! tag:x,2000:\n---',
      '# comment',
      '\t',
      '  x: 1',
      '- a',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

/** Aliases that expand to width^depth values from depth short lines. */
const aliasBomb = fc
  .tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 8 }))
  .map(([width, depth]) => {
    const lines = [`l0: &l0 [${Array(width).fill('"x"').join(', ')}]`];
    for (let i = 1; i < depth; i++)
      lines.push(
        `l${i}: &l${i} [${Array(width)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    return `${lines.join('\n')}\napp: *l${depth - 1}\n`;
  });

const deepNesting = fc
  .tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('[', '{a: ', '- '))
  .map(([n, open]) =>
    open === '- '
      ? Array.from({ length: n }, (_, i) => `${' '.repeat(i)}- `).join('\n')
      : `app: ${open.repeat(n)}`,
  );

const yamlText = fc.oneof(
  { weight: 8, arbitrary: fc.array(line, { maxLength: 10 }).map((lines) => lines.join('\n')) },
  { weight: 1, arbitrary: aliasBomb },
  { weight: 1, arbitrary: deepNesting },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

describe('resolveConfig with a random configuration file (property)', () => {
  it('resolves it or returns coded problems naming the file, in bounded time, never throwing', {
    timeout: 180_000,
  }, async () => {
    const file = join(dir, 'agent.yaml');
    const outcomes = { ok: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(yamlText, async (text) => {
        await writeFile(file, text);
        const started = Date.now();
        const resolved = await resolveConfig({ file, defaultApp: 'job' });
        expect(Date.now() - started, 'time to resolve').toBeLessThan(CASE_BUDGET_MS);
        if (resolved.ok) {
          outcomes.ok++;
          expect(typeof resolved.config.app).toBe('string');
          expect(resolved.config.batchIntervalMs).toBeGreaterThan(0);
          return;
        }
        outcomes.refused++;
        expect(resolved.problems.length).toBeGreaterThan(0);
        for (const problem of resolved.problems) {
          expect(isSidestreamError(problem), String(problem)).toBe(true);
          expect(CODES.has(problem.code), problem.code).toBe(true);
          expect(problem.message.startsWith(`${file}: `), problem.message).toBe(true);
        }
      }),
      { numRuns: 600 },
    );
    // Both ends are reached: files that resolve and files that are refused.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
