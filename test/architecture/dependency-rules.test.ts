/**
 * The dependency rules of src/ (docs/architecture.md draws them): every module may import only
 * the modules ALLOWED lists for it, and the picture in docs/architecture.md is this same table.
 * The rules the architecture rests on are also spelled out one by one, so a failure names the
 * rule that broke, and they are checked against the table itself: relaxing the table cannot
 * quietly break one of them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ImportEdge, moduleImports } from './module-graph.js';

/** Module -> the modules it may import. Root leaves import (almost) nothing. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  errors: [],
  time: ['errors'],
  'topic-partition': [],
  redact: [],
  'private-files': [],
  'typescript-module-hook': [],
  'events/': ['topic-partition'],
  'event-time-lag': ['events/'],
  'state/': ['events/', 'errors', 'time', 'topic-partition', 'private-files'],
  'dstream/': ['events/', 'state/', 'errors', 'time'],
  'receiver/': ['events/', 'state/', 'errors', 'time'],
  'engine/': ['dstream/', 'events/', 'state/', 'errors', 'time', 'event-time-lag'],
  'sources/': [
    'dstream/',
    'receiver/',
    'events/',
    'state/',
    'errors',
    'time',
    'topic-partition',
    'private-files',
  ],
  'sinks/': ['sources/', 'events/', 'errors', 'time', 'topic-partition'],
  'telemetry/': [
    'engine/',
    'events/',
    'errors',
    'time',
    'topic-partition',
    'event-time-lag',
    'redact',
    'private-files',
  ],
  'streaming-context': [
    'engine/',
    'dstream/',
    'receiver/',
    'sources/',
    'telemetry/',
    'events/',
    'errors',
    'time',
  ],
  'job-module': ['streaming-context', 'errors', 'typescript-module-hook'],
  'dashboards/': ['telemetry/', 'errors'],
  'executors/': ['engine/', 'dstream/', 'events/', 'streaming-context', 'job-module', 'errors', 'time'],
  'agent/': [
    'streaming-context',
    'dashboards/',
    'job-module',
    'executors/',
    'engine/',
    'dstream/',
    'sources/',
    'sinks/',
    'telemetry/',
    'events/',
    'state/',
    'errors',
    'time',
    'topic-partition',
    'event-time-lag',
    'redact',
  ],
  index: [
    'streaming-context',
    'executors/',
    'engine/',
    'dstream/',
    'receiver/',
    'sources/',
    'sinks/',
    'telemetry/',
    'events/',
    'state/',
    'errors',
    'time',
    'topic-partition',
    'event-time-lag',
  ],
};

const edges = moduleImports();

const broken = (ok: (e: ImportEdge) => boolean) => edges.filter((e) => !ok(e)).map((e) => e.where);
const folders = (names: string) => names.split(' ');

/** What the table allows `from` to import, transitively. */
function reachable(from: string): Set<string> {
  const seen = new Set<string>();
  const visit = (m: string) => {
    for (const next of ALLOWED[m] ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      visit(next);
    }
  };
  visit(from);
  return seen;
}

const RULES: { readonly rule: string; readonly from: string[]; readonly never: string[] }[] = [
  {
    rule: 'the engine imports neither telemetry, the agent, nor a concrete source or sink',
    from: ['engine/'],
    never: folders('telemetry/ agent/ sources/ sinks/ streaming-context executors/'),
  },
  {
    rule: 'module 1 (dstream/) imports no source, telemetry or engine',
    from: ['dstream/'],
    never: folders('sources/ telemetry/ engine/ receiver/'),
  },
  {
    rule: 'receivers, sources and state import no telemetry',
    from: folders('receiver/ sources/ state/'),
    never: ['telemetry/'],
  },
  { rule: 'state imports no engine', from: ['state/'], never: folders('engine/ dstream/') },
  {
    rule: 'the event vocabulary imports nothing of ours but leaf types',
    from: ['events/'],
    never: Object.keys(ALLOWED).filter((m) => m !== 'topic-partition' && m !== 'events/'),
  },
];

describe('dependency rules of src/', () => {
  it('every module is in the table', () => {
    const modules = new Set(edges.flatMap((e) => [e.from, e.to]));
    expect([...modules].filter((m) => !(m in ALLOWED))).toEqual([]);
  });

  it('every import is one the table allows', () => {
    expect(broken((e) => (ALLOWED[e.from] ?? []).includes(e.to))).toEqual([]);
  });

  for (const { rule, from, never } of RULES) {
    it(rule, () => {
      expect(broken((e) => !(from.includes(e.from) && never.includes(e.to)))).toEqual([]);
      // ...and the table itself cannot let it happen, not even through another module.
      for (const f of from)
        expect(
          [...reachable(f)].filter((m) => never.includes(m)),
          f,
        ).toEqual([]);
    });
  }

  it('no two modules import each other, directly or around a cycle (the table is acyclic)', () => {
    for (const m of Object.keys(ALLOWED)) expect(reachable(m).has(m), m).toBe(false);
  });

  it('docs/architecture.md draws exactly this table', () => {
    const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
    const block = /<!-- dependency-rules -->\n```text\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block, 'the ```text block after <!-- dependency-rules --> in docs/architecture.md').toBeDefined();
    const drawn = Object.fromEntries(
      (block ?? '')
        .trim()
        .split('\n')
        .map((line) => {
          const [from = '', to = ''] = line.split(/\s+->\s*/);
          return [from.trim(), to.trim() === '(nothing)' ? [] : to.split(',').map((s) => s.trim())];
        }),
    );
    expect(drawn).toEqual(ALLOWED);
  });
});
