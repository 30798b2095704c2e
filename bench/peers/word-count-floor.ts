/**
 * The floor under every Node engine of the peer benchmark: the word count's own work on the same
 * records with no Kafka and no engine, in one plain loop on this process's Node: each record's
 * bytes decoded to text, split on spaces, counted per word in a Map. CPU time per record of the
 * best of a few passes (the first warms the JIT). What a Node engine spends above it goes to
 * fetching, decoding record batches and the engine; what the plain Java loop spends in total is
 * the figure to compare it with.
 */
import { performance } from 'node:perf_hooks';
import { expectedTotals, type WordCorpus } from './word-corpus.js';

export interface WordCountFloor {
  readonly records: number;
  /** CPU µs per record (user + system of this process) of the fastest pass. */
  readonly cpuUsPerRecord: number;
  /** Wall µs per record of the same pass. */
  readonly wallUsPerRecord: number;
}

export function measureWordCountFloor(corpus: WordCorpus, records: number, passes = 4): WordCountFloor {
  // The records' bytes in one buffer, as a fetch holds them: decoding text is part of the work.
  const values = corpus.values.map((v) => Buffer.from(v));
  const bytes = Buffer.concat(values);
  const starts: number[] = [];
  let at = 0;
  for (const v of values) {
    starts.push(at);
    at += v.length;
  }
  starts.push(at);
  const pool = values.length;
  const expected = expectedTotals(corpus, records);
  let best: WordCountFloor | undefined;
  for (let pass = 0; pass < passes; pass++) {
    const counts = new Map<string, number>();
    const cpu = process.cpuUsage();
    const wall = performance.now();
    for (let i = 0; i < records; i++) {
      const v = i % pool;
      const text = bytes.toString('utf8', starts[v] as number, starts[v + 1] as number);
      for (const word of text.split(' ')) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    const used = process.cpuUsage(cpu);
    const wallMs = performance.now() - wall;
    let words = 0;
    for (const n of counts.values()) words += n;
    if (words !== expected.words) throw new Error(`the floor counted ${words} words, not ${expected.words}`);
    const figure = {
      records,
      cpuUsPerRecord: (used.user + used.system) / records,
      wallUsPerRecord: (wallMs * 1000) / records,
    };
    if (pass > 0 && (best === undefined || figure.cpuUsPerRecord < best.cpuUsPerRecord)) best = figure;
  }
  if (best === undefined) throw new Error('the floor needs at least two passes');
  return best;
}
