/**
 * Property: whatever the bytes (valid UTF-8, invalid bytes, \r\n, empty lines, lines around the
 * bound) and wherever the chunks are cut, the splitter delivers every line within the bound
 * exactly once and in order, with the text it was written as; rejects every longer line exactly
 * once at its exact byte offset and length; settles exactly the bytes up to the last newline;
 * and never holds more than the bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/sources/line-splitter.js';
import { type GeneratedLine, lineStreamArb, modelOf, splitAt } from '../support/line-streams.js';

describe('LineSplitter (property)', () => {
  it('delivers, rejects and settles exactly what the bytes say, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 48 }).chain((bound) =>
          fc.record({
            bound: fc.constant(bound),
            lines: fc.array(lineStreamArb(bound), { maxLength: 30 }),
            tail: fc.option(fc.uint8Array({ minLength: 1, maxLength: bound + 8 }), { nil: undefined }),
            cuts: fc.array(fc.nat(), { maxLength: 20 }),
            startByte: fc.nat({ max: 1_000_000 }),
            keepHeadBytes: fc.nat({ max: 80 }),
          }),
        ),
        ({ bound, lines, tail, cuts, startByte, keepHeadBytes }) => {
          const unfinished = tail?.map((x) => (x === 0x0a ? 0x0b : x));
          const model = modelOf(lines, bound, unfinished);
          const splitter = new LineSplitter({ maxLineBytes: bound, keepHeadBytes, startByte });
          const delivered: string[] = [];
          const overlong: { lineNumber: number; startByte: number; head: Buffer }[] = [];
          const ended: { lineNumber: number; length: number; terminated: boolean }[] = [];
          const out = {
            line: (t: string) => delivered.push(t),
            overlong: (l: { lineNumber: number; startByte: number; head: Buffer }) => overlong.push(l),
            overlongEnded: (l: { lineNumber: number }, length: number, terminated: boolean) =>
              ended.push({ lineNumber: l.lineNumber, length, terminated }),
          };
          for (const chunk of splitAt(model.bytes, cuts)) {
            splitter.push(chunk, out);
            expect(splitter.retainedBytes).toBeLessThanOrEqual(
              bound + 1 + Math.min(keepHeadBytes, bound + 1),
            );
          }
          const finished = model.lines.filter((l) => l.terminated);
          expect(delivered).toEqual(finished.filter((l) => !l.rejected).map((l) => l.text));
          const rejected = finished.filter((l) => l.rejected);
          expect(ended).toEqual(
            rejected.map((l) => ({ lineNumber: l.number, length: l.length, terminated: true })),
          );
          // Reported when it passed the bound, so an unfinished over-long tail is reported too.
          const passed = model.lines.filter((l) => l.rejected && (l.terminated || l.length > bound + 1));
          expect(overlong.map((l) => [l.lineNumber, l.startByte])).toEqual(
            passed.map((l) => [l.number, startByte + l.startByte]),
          );
          for (const [i, l] of overlong.entries()) {
            const line = passed[i] as GeneratedLine;
            const want = model.bytes.subarray(line.startByte, line.startByte + l.head.length);
            expect(l.head.equals(want)).toBe(true);
            expect(l.head.length).toBe(Math.min(keepHeadBytes, bound + 1, line.rawLength));
          }
          expect(splitter.settledBytes).toBe(startByte + model.settledBytes);
          expect(splitter.pushedBytes).toBe(startByte + model.bytes.length);
          expect(splitter.linesEnded).toBe(finished.length);

          // The input ends: the unfinished line is delivered or reported, never lost silently.
          splitter.end(out);
          const last = model.lines.at(-1);
          if (last && !last.terminated) {
            if (last.rejected)
              expect(ended.at(-1)).toEqual({
                lineNumber: last.number,
                length: last.length,
                terminated: false,
              });
            else expect(delivered.at(-1)).toBe(last.text);
          }
          expect(splitter.linesEnded).toBe(model.lines.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
