/**
 * Random line streams for the text-input property tests, and what a correct line splitter must
 * make of them, computed from how each line was generated (not by splitting the bytes again):
 * which lines are delivered (with their text), which are rejected (at which byte, how long),
 * and how many bytes are settled. Lines mix valid UTF-8, arbitrary bytes (invalid UTF-8
 * included), empty lines and lengths right around the bound, ended by \n or \r\n.
 */
import fc from 'fast-check';

export interface LineSpec {
  /** The line's bytes without its terminator; never contains \n. */
  readonly content: Uint8Array;
  readonly crlf: boolean;
  /** The string the content was encoded from, when it was generated as text. */
  readonly source?: string;
}

export interface GeneratedLine {
  /** From 1, as the splitter numbers lines. */
  readonly number: number;
  /** Offset of its first byte in the stream. */
  readonly startByte: number;
  /** Bytes before its \n (a \r of \r\n included). */
  readonly rawLength: number;
  /** Its length as the bound counts it (the \r before \n, or before the end, not counted). */
  readonly length: number;
  readonly terminated: boolean;
  readonly rejected: boolean;
  /** What must be delivered, when it is. */
  readonly text: string;
}

export interface StreamModel {
  readonly bytes: Buffer;
  readonly lines: readonly GeneratedLine[];
  /** Bytes up to and including the last \n. */
  readonly settledBytes: number;
}

const noNewline = (bytes: Uint8Array) => bytes.map((x) => (x === 0x0a ? 0x0b : x));

/** One line of a random stream for a splitter bound to `bound` bytes. */
export function lineStreamArb(bound: number): fc.Arbitrary<LineSpec> {
  const text = fc
    .string({ unit: 'binary', maxLength: 12 })
    .map((s) => s.replace(/\n/g, ' '))
    .map((s) => ({ content: new Uint8Array(Buffer.from(s)), source: s }));
  const bytes = fc.uint8Array({ maxLength: 16 }).map((b) => ({ content: noNewline(b) }));
  const empty = fc.constant({ content: new Uint8Array(0) });
  const aroundBound = fc
    .integer({ min: bound - 2, max: bound + 3 })
    .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))
    .map((b) => ({ content: noNewline(b) }));
  const farOver = fc
    .integer({ min: bound * 2, max: bound * 6 })
    .map((n) => ({ content: new Uint8Array(n).fill(0x61) }));
  return fc
    .tuple(
      fc.oneof(
        { weight: 4, arbitrary: text },
        { weight: 3, arbitrary: bytes },
        { weight: 1, arbitrary: empty },
        { weight: 2, arbitrary: aroundBound },
        { weight: 1, arbitrary: farOver },
      ),
      fc.boolean(),
    )
    .map(([line, crlf]) => ({ ...line, crlf }));
}

/** The stream of `lines` followed by an unfinished `tail` (no \n), and what must come of it. */
export function modelOf(lines: readonly LineSpec[], bound: number, tail?: Uint8Array): StreamModel {
  const parts: Buffer[] = [];
  const out: GeneratedLine[] = [];
  let offset = 0;
  const add = (spec: LineSpec, terminated: boolean) => {
    const content = Buffer.from(spec.content);
    const raw = terminated && spec.crlf ? Buffer.concat([content, Buffer.from('\r')]) : content;
    const cut = raw.length > 0 && raw[raw.length - 1] === 0x0d ? 1 : 0;
    const length = raw.length - cut;
    const strippedSource =
      spec.source !== undefined && !(terminated && spec.crlf) && cut === 1
        ? spec.source.slice(0, -1)
        : spec.source;
    out.push({
      number: out.length + 1,
      startByte: offset,
      rawLength: raw.length,
      length,
      terminated,
      rejected: length > bound,
      text: strippedSource ?? raw.subarray(0, length).toString('utf8'),
    });
    const bytes = terminated ? Buffer.concat([raw, Buffer.from('\n')]) : raw;
    parts.push(bytes);
    offset += bytes.length;
  };
  for (const spec of lines) add(spec, true);
  const settledBytes = offset;
  if (tail && tail.length > 0) add({ content: tail, crlf: false }, false);
  return { bytes: Buffer.concat(parts), lines: out, settledBytes };
}

/** `bytes` cut at the given points (taken modulo its length), in order. */
export function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  if (bytes.length === 0) return [];
  const points = [...new Set(cuts.map((c) => c % bytes.length))].filter((c) => c > 0).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  return chunks;
}
