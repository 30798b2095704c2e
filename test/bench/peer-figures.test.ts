/**
 * The peer benchmark's pure parts (bench/peers/): the corpus every engine's count is checked
 * against, the rotation of the rounds, the per-round ratios, the CPU interpolation, and the
 * `--peer-codec` list.
 */
import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { PEER_CODEC_NAMES, PEER_CODECS, parsePeerCodecs } from '../../bench/peers/peer-codecs.js';
import { type PeerRunOutcome, roundOrder, summarizePeers } from '../../bench/peers/peer-summary.js';
import { interpolate } from '../../bench/peers/proc-sampler.js';
import { expectedTotals, POOL_SIZE, VOCABULARY_SIZE, wordCorpus } from '../../bench/peers/word-corpus.js';
import { measureWordCountFloor } from '../../bench/peers/word-count-floor.js';

describe('wordCorpus', () => {
  const corpus = wordCorpus();

  it('is the same on every call: 1,000 distinct words, ~100-byte records of them', () => {
    expect(wordCorpus()).toEqual(corpus);
    expect(new Set(corpus.vocabulary).size).toBe(VOCABULARY_SIZE);
    expect(corpus.values).toHaveLength(POOL_SIZE);
    const vocabulary = new Set(corpus.vocabulary);
    for (const value of corpus.values) {
      expect(value.length).toBeGreaterThanOrEqual(95);
      expect(value.length).toBeLessThanOrEqual(105);
      expect(value.split(' ').every((w) => vocabulary.has(w))).toBe(true);
    }
  });

  it('expectedTotals equals counting the first N records one by one, across pool cycles', () => {
    const records = 2 * POOL_SIZE + 123;
    let words = 0;
    let letters = 0;
    let bytes = 0;
    for (let i = 0; i < records; i++) {
      const value = corpus.values[i % POOL_SIZE] as string;
      for (const w of value.split(' ')) {
        words += 1;
        letters += w.length;
      }
      bytes += value.length;
    }
    expect(expectedTotals(corpus, records)).toEqual({ records, words, letters, bytes });
    expect(expectedTotals(corpus, 0)).toEqual({ records: 0, words: 0, letters: 0, bytes: 0 });
  });
});

describe('roundOrder', () => {
  it('rotates the engines by the round, so each goes first once per cycle', () => {
    expect(roundOrder(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(roundOrder(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(roundOrder(['a', 'b', 'c'], 5)).toEqual(['c', 'a', 'b']);
  });
});

describe('summarizePeers', () => {
  const ok = (rate: number, cpu = 1, rss = 100, heap = 10): PeerRunOutcome => ({
    ok: true,
    rate,
    cpuUsPerRecord: cpu,
    peakRssBytes: rss,
    peakHeapBytes: heap,
  });

  it('takes medians of the verified runs and ratios within each round only', () => {
    const rounds = [
      { x: ok(100, 2, 300, 30), base: ok(50) },
      { x: ok(300, 4, 100, 10), base: ok(100) },
      { x: ok(200, 3, 200, 20), base: { ok: false, error: 'wrong count' } as const },
    ];
    const [x, base] = summarizePeers(['x', 'base'], rounds, ['base']);
    expect(x).toMatchObject({
      okRuns: 3,
      runs: 3,
      medianRate: 200,
      medianCpuUsPerRecord: 3,
      peakRssBytes: 300,
      peakHeapBytes: 30,
    });
    // Round 3 has no verified baseline: its ratio is left out, not computed against another round.
    expect(x?.ratios.base?.perRound).toEqual([2, 3]);
    expect(base).toMatchObject({ okRuns: 2, runs: 3, medianRate: 50 });
    expect(base?.ratios.base?.perRound).toEqual([1, 1]);
  });

  it('posts no figure for an engine whose every run failed', () => {
    const [x] = summarizePeers(['x'], [{ x: { ok: false, error: 'exited' } }], ['x']);
    expect(x?.okRuns).toBe(0);
    expect(x?.medianRate).toBeNaN();
    expect(x?.peakRssBytes).toBeNaN();
    expect(x?.ratios.x?.median).toBeNaN();
  });
});

describe('interpolate', () => {
  const samples = [
    { t: 1000, cpuMs: 0 },
    { t: 1100, cpuMs: 50 },
    { t: 1200, cpuMs: 150 },
  ];

  it('is linear between the samples around the instant and clamped outside them', () => {
    expect(interpolate(samples, 1050)).toBe(25);
    expect(interpolate(samples, 1150)).toBe(100);
    expect(interpolate(samples, 1100)).toBe(50);
    expect(interpolate(samples, 900)).toBe(0);
    expect(interpolate(samples, 1300)).toBe(150);
    expect(interpolate([], 1000)).toBeNaN();
  });
});

describe('parsePeerCodecs', () => {
  const allowed = "'none', 'gzip', 'snappy', 'lz4', 'zstd'";

  it('takes one codec or several, comma-separated, in the order given', () => {
    expect(parsePeerCodecs('none')).toEqual(['none']);
    expect(parsePeerCodecs('lz4,zstd')).toEqual(['lz4', 'zstd']);
    expect(parsePeerCodecs('zstd, none ,gzip,snappy,lz4')).toEqual(['zstd', 'none', 'gzip', 'snappy', 'lz4']);
  });

  it('rejects an unknown codec, naming the flag and every allowed value', () => {
    expect(() => parsePeerCodecs('lz4,brotli')).toThrow(
      `--peer-codec must name some of ${allowed}, comma-separated (got 'lz4,brotli'; unknown: 'brotli')`,
    );
    expect(() => parsePeerCodecs('LZ4')).toThrow(/unknown: 'LZ4'/);
    expect(() => parsePeerCodecs('')).toThrow(`--peer-codec must name some of ${allowed}`);
    expect(() => parsePeerCodecs('lz4,')).toThrow(/unknown: ''/);
  });

  it('rejects a codec named twice', () => {
    expect(() => parsePeerCodecs('lz4,zstd,lz4')).toThrow("--peer-codec names 'lz4' more than once");
  });

  it("maps each codec to kafkajs' CompressionTypes value", () => {
    expect(PEER_CODEC_NAMES).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd']);
    expect(PEER_CODECS).toEqual({
      none: CompressionTypes.None,
      gzip: CompressionTypes.GZIP,
      snappy: CompressionTypes.Snappy,
      lz4: CompressionTypes.LZ4,
      zstd: CompressionTypes.ZSTD,
    });
  });
});

describe('the word count floor', () => {
  it('counts the corpus words of the first N records and reports its CPU time per record', () => {
    const floor = measureWordCountFloor(wordCorpus(), 5000, 2);
    expect(floor.records).toBe(5000);
    expect(floor.cpuUsPerRecord).toBeGreaterThan(0);
    expect(floor.wallUsPerRecord).toBeGreaterThan(0);
    expect(() => measureWordCountFloor(wordCorpus(), 10, 1)).toThrow(/at least two passes/);
  });
});
