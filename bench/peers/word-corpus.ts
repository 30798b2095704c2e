/**
 * The text the peer benchmark (bench/peers.ts) counts words in, the same on every run: a fixed
 * 1,000-word vocabulary and a pool of ~100-byte records of space-separated words drawn from it,
 * both from a seeded PRNG. Record i is `pool[i % pool size]`, so the producer reuses a few
 * thousand buffers, and the exact totals of any first N records are known in advance: every
 * engine's word count is checked against them.
 */
import { prng } from '../../src/sources/generator-source.js';

export const VOCABULARY_SIZE = 1000;
/** Distinct record values; record i is value i % POOL_SIZE. */
export const POOL_SIZE = 4096;
/** Words are added to a record until it is at least this long (records end up ~95-105 bytes). */
const MIN_RECORD_BYTES = 95;

export interface WordCorpus {
  readonly vocabulary: readonly string[];
  /** The distinct record values, ASCII lowercase words separated by single spaces. */
  readonly values: readonly string[];
}

/** The words and the pool of records; deterministic (seed 1). */
export function wordCorpus(): WordCorpus {
  const random = prng(1);
  const words = new Set<string>();
  while (words.size < VOCABULARY_SIZE) {
    const length = 2 + Math.floor(random() * 9);
    let word = '';
    for (let i = 0; i < length; i++) word += String.fromCharCode(97 + Math.floor(random() * 26));
    words.add(word);
  }
  const vocabulary = [...words];
  const values: string[] = [];
  for (let v = 0; v < POOL_SIZE; v++) {
    const picked: string[] = [];
    let bytes = -1;
    while (bytes < MIN_RECORD_BYTES) {
      const word = vocabulary[Math.floor(random() * VOCABULARY_SIZE)] as string;
      picked.push(word);
      bytes += word.length + 1;
    }
    values.push(picked.join(' '));
  }
  return { vocabulary, values };
}

/** What a word count of records 0..records-1 must add up to: words, and letters (word length x count). */
export interface WordTotals {
  readonly records: number;
  readonly words: number;
  readonly letters: number;
  readonly bytes: number;
}

export function expectedTotals(corpus: WordCorpus, records: number): WordTotals {
  let words = 0;
  let letters = 0;
  let bytes = 0;
  const pool = corpus.values.length;
  const add = (value: string, times: number) => {
    const n = value.split(' ').length;
    words += n * times;
    letters += (value.length - (n - 1)) * times;
    bytes += value.length * times;
  };
  const cycles = Math.floor(records / pool);
  const rest = records % pool;
  for (let v = 0; v < pool; v++) add(corpus.values[v] as string, cycles + (v < rest ? 1 : 0));
  return { records, words, letters, bytes };
}
