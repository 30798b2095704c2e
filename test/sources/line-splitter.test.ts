/** LineSplitter: byte-exact lines, the line bound, and what it reports, on hand-picked inputs. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_LINE_BYTES,
  type LineHandler,
  LineSplitter,
  MAX_MAX_LINE_BYTES,
  MIN_MAX_LINE_BYTES,
  maxLineBytesOption,
} from '../../src/sources/line-splitter.js';

interface Collected {
  lines: string[];
  overlong: { lineNumber: number; startByte: number; head: string }[];
  ended: { lineNumber: number; length: number; terminated: boolean }[];
}

function collector(): LineHandler & { got: Collected } {
  const got: Collected = { lines: [], overlong: [], ended: [] };
  return {
    got,
    line: (text) => got.lines.push(text),
    overlong: (l) =>
      got.overlong.push({ lineNumber: l.lineNumber, startByte: l.startByte, head: l.head.toString() }),
    overlongEnded: (l, length, terminated) =>
      got.ended.push({ lineNumber: l.lineNumber, length, terminated }),
  };
}

const b = (s: string) => Buffer.from(s);

describe('LineSplitter', () => {
  it('splits on \\n, strips the \\r of \\r\\n, keeps empty lines and waits for an unfinished line', () => {
    const s = new LineSplitter();
    const out = collector();
    s.push(b('one\r\ntwo\n\nthr'), out);
    expect(out.got.lines).toEqual(['one', 'two', '']);
    expect(s.settledBytes).toBe(10);
    expect(s.pushedBytes).toBe(13);
    expect(s.bufferedBytes).toBe(3);
    s.push(b('ee\r'), out);
    s.push(b('\nlast'), out);
    expect(out.got.lines).toEqual(['one', 'two', '', 'three']);
    expect(s.linesEnded).toBe(4);
    s.end(out);
    expect(out.got.lines).toEqual(['one', 'two', '', 'three', 'last']);
    expect(s.linesEnded).toBe(5);
  });

  it('counts positions in raw bytes: invalid UTF-8 becomes U+FFFD in its own line only', () => {
    const s = new LineSplitter({ startByte: 100 });
    const out = collector();
    const euro = b('€');
    s.push(Buffer.concat([b('x'), euro.subarray(0, 2)]), out);
    s.push(Buffer.concat([euro.subarray(2), b('\nbad'), Buffer.from([0xff, 0xfe]), b('\nok\n')]), out);
    expect(out.got.lines).toEqual(['x€', 'bad\uFFFD\uFFFD', 'ok']);
    expect(s.settledBytes).toBe(100 + 1 + 3 + 1 + 5 + 1 + 3);
  });

  it('a line of exactly maxLineBytes is delivered (with or without \\r\\n); one byte more is rejected', () => {
    const s = new LineSplitter({ maxLineBytes: 16, keepHeadBytes: 4 });
    const out = collector();
    const exact = 'a'.repeat(16);
    s.push(b(`${exact}\n${exact}\r\n${exact}b\nnext\n`), out);
    expect(out.got.lines).toEqual([exact, exact, 'next']);
    expect(out.got.overlong).toEqual([{ lineNumber: 3, startByte: 35, head: 'aaaa' }]);
    expect(out.got.ended).toEqual([{ lineNumber: 3, length: 17, terminated: true }]);
  });

  it('drops an over-long line as it arrives, holding no more than the bound, and reports it once', () => {
    const s = new LineSplitter({ maxLineBytes: 64, keepHeadBytes: 8 });
    const out = collector();
    s.push(b('first\nHEAD'), out);
    for (let i = 0; i < 1000; i++) {
      s.push(Buffer.alloc(1000, 0x78), out);
      expect(s.retainedBytes).toBeLessThanOrEqual(65 + 8);
    }
    expect(s.discarding).toBe(true);
    expect(out.got.overlong).toEqual([{ lineNumber: 2, startByte: 6, head: 'HEADxxxx' }]);
    expect(out.got.ended).toEqual([]);
    // Nothing after `first` is settled while the over-long line goes on.
    expect(s.settledBytes).toBe(6);
    s.push(b('\r\nafter\n'), out);
    expect(out.got.lines).toEqual(['first', 'after']);
    expect(out.got.ended).toEqual([{ lineNumber: 2, length: 4 + 1_000_000, terminated: true }]);
    expect(s.settledBytes).toBe(6 + 4 + 1_000_000 + 2 + 6);
    expect(s.discarding).toBe(false);
  });

  it('end() delivers the unfinished line or ends the over-long one; drop() discards the unfinished line', () => {
    const a = new LineSplitter({ maxLineBytes: 16 });
    const outA = collector();
    a.push(b(`ok\n${'y'.repeat(40)}`), outA);
    a.end(outA);
    expect(outA.got.ended).toEqual([{ lineNumber: 2, length: 40, terminated: false }]);
    expect(a.discarding).toBe(false);

    const c = new LineSplitter({ maxLineBytes: 16 });
    const outC = collector();
    c.push(b('ok\nunfinished'), outC);
    c.drop(outC);
    expect(outC.got.lines).toEqual(['ok']);
    expect(c.bufferedBytes).toBe(0);
    c.push(b('new\n'), outC);
    expect(outC.got.lines).toEqual(['ok', 'new']);
  });

  it('never scans the unfinished line again: a long line in many chunks costs linear time', () => {
    const s = new LineSplitter({ maxLineBytes: 64 * 1024 * 1024 });
    const out = collector();
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const started = process.hrtime.bigint();
    // 32 MiB in 16 KiB chunks: re-scanning the held part would read ~32 GiB.
    for (let i = 0; i < 2048; i++) s.push(chunk, out);
    s.push(b('\n'), out);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(out.got.lines).toHaveLength(1);
    expect(out.got.lines[0]!.length).toBe(32 * 1024 * 1024);
    expect(ms).toBeLessThan(5000);
  });

  it('validates maxLineBytes against its documented bounds', () => {
    expect(maxLineBytesOption(undefined, 'x')).toBe(DEFAULT_MAX_LINE_BYTES);
    expect(DEFAULT_MAX_LINE_BYTES).toBe(1024 * 1024);
    expect(maxLineBytesOption(MIN_MAX_LINE_BYTES, 'x')).toBe(MIN_MAX_LINE_BYTES);
    expect(maxLineBytesOption(MAX_MAX_LINE_BYTES, 'x')).toBe(MAX_MAX_LINE_BYTES);
    for (const bad of [MIN_MAX_LINE_BYTES - 1, MAX_MAX_LINE_BYTES + 1, 100.5, Number.NaN])
      expect(() => maxLineBytesOption(bad, 'socket:h:1')).toThrow(/socket:h:1: maxLineBytes/);
  });
});
