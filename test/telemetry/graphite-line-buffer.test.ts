/** LineBuffer: a bounded FIFO that drops its OLDEST lines when full and says how many it dropped. */
import { describe, expect, it } from 'vitest';
import { LineBuffer } from '../../src/telemetry/exporters/graphite/line-buffer.js';

function drain(buffer: LineBuffer): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  while (buffer.size > 0) out.push(buffer.shift());
  return out;
}

describe('LineBuffer', () => {
  it('is first in, first out', () => {
    const b = new LineBuffer(3);
    expect(b.push('a')).toBe(0);
    expect(b.push('b')).toBe(0);
    expect(b.peek()).toBe('a');
    expect(b.size).toBe(2);
    expect(drain(b)).toEqual(['a', 'b']);
    expect(b.shift()).toBeUndefined();
    expect(b.peek()).toBeUndefined();
  });

  it('when full, drops the oldest line for each new one and reports it', () => {
    const b = new LineBuffer(3);
    const dropped = ['1', '2', '3', '4', '5'].map((l) => b.push(l));
    expect(dropped).toEqual([0, 0, 0, 1, 1]);
    expect(b.size).toBe(3);
    expect(drain(b)).toEqual(['3', '4', '5']);
  });

  it('keeps the order across wrap-arounds of its ring', () => {
    const b = new LineBuffer(4);
    const kept: string[] = [];
    for (let i = 0; i < 23; i++) {
      b.push(String(i));
      kept.push(String(i));
      if (kept.length > 4) kept.shift();
      if (i % 3 === 0) expect(b.shift()).toBe(kept.shift());
    }
    expect(drain(b)).toEqual(kept);
  });

  it('clear() empties it and says how many lines went', () => {
    const b = new LineBuffer(2);
    b.push('a');
    b.push('b');
    b.push('c');
    expect(b.clear()).toBe(2);
    expect(b.size).toBe(0);
    b.push('d');
    expect(drain(b)).toEqual(['d']);
  });

  it('refuses a capacity below one line', () => {
    expect(() => new LineBuffer(0)).toThrow(RangeError);
    expect(() => new LineBuffer(1.5)).toThrow(RangeError);
  });
});
