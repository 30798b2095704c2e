/**
 * LineBuffer: holds exactly the bytes appended, in blocks, never allocating past its limit, and
 * reuses its blocks line after line (a second line of the same length allocates nothing).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineBuffer } from '../../src/sources/line-buffer.js';

describe('LineBuffer (property)', () => {
  it('holds what was appended, within its limit, across blocks, and again after clear()', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300_000 }),
        fc.array(fc.integer({ min: 1, max: 90_000 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 255 }),
        (limit, sizes, seed) => {
          const buffer = new LineBuffer(limit);
          let firstCapacity = 0;
          for (let round = 0; round < 2; round++) {
            const pieces: Buffer[] = [];
            let total = 0;
            for (const [i, size] of sizes.entries()) {
              const n = Math.min(size, limit - total);
              if (n === 0) break;
              // A larger source, appended from an offset: only [from, to) may be copied.
              const source = Buffer.alloc(n + 10, (seed + i + round * 31) % 256);
              source[5] = (seed * 7 + i) % 256;
              buffer.append(source, 3, 3 + n);
              pieces.push(source.subarray(3, 3 + n));
              total += n;
              expect(buffer.capacity).toBeLessThanOrEqual(limit);
            }
            const all = Buffer.concat(pieces);
            expect(buffer.length).toBe(all.length);
            expect(buffer.lastByte()).toBe(all[all.length - 1]);
            const cut = Math.max(0, all.length - (seed % 3));
            expect(buffer.toString(cut)).toBe(all.toString('utf8', 0, cut));
            const head = Buffer.alloc(Math.min(all.length, 5000));
            expect(buffer.copyStart(head)).toBe(head.length);
            expect(head.equals(all.subarray(0, head.length))).toBe(true);
            if (round === 0) firstCapacity = buffer.capacity;
            else expect(buffer.capacity).toBe(firstCapacity);
            buffer.clear();
            expect(buffer.length).toBe(0);
            expect(buffer.lastByte()).toBeUndefined();
            expect(buffer.toString(0)).toBe('');
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
