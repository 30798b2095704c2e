/**
 * Property: whatever garbage lands in a segment (appended, or replacing any range of it), opening
 * and reading the log never throws, and every record it returns is one that was written, in
 * write order. The one refusal allowed is SS_WAL_FORMAT_UNKNOWN, when the garbage left the magic
 * bytes intact and changed the format version.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSidestreamError } from '../../src/errors.js';
import {
  FileWriteAheadLog,
  WAL_FORMAT_VERSION,
  WAL_HEADER_BYTES,
  WAL_MAGIC,
} from '../../src/state/file-write-ahead-log.js';

interface Written {
  readonly data: Uint8Array;
  readonly timeMs: number;
}

const recordsArb = fc.array(
  fc.record({ data: fc.uint8Array({ maxLength: 64 }), timeMs: fc.integer({ min: 0, max: 3000 }) }),
  { minLength: 1, maxLength: 25 },
);

const damageArb = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 80 }) }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

/** Whether `got` appears in `written` in order (each written record at most once). */
function isSubsequence(got: readonly Written[], written: readonly Written[]): boolean {
  let j = 0;
  for (const g of got) {
    while (
      j < written.length &&
      !(written[j]!.timeMs === g.timeMs && Buffer.from(written[j]!.data).equals(Buffer.from(g.data)))
    ) {
      j++;
    }
    if (j === written.length) return false;
    j++;
  }
  return true;
}

describe('FileWriteAheadLog recovery (property)', () => {
  it('never throws on damaged segments and never returns a record that was not written', async () => {
    await fc.assert(
      fc.asyncProperty(
        recordsArb,
        fc.array(fc.tuple(fc.nat(), damageArb), { minLength: 1, maxLength: 3 }),
        async (records, damages) => {
          const dir = await mkdtemp(join(tmpdir(), 'ss-wal-prop-'));
          try {
            const log = await FileWriteAheadLog.open(dir, { fsync: { mode: 'never' }, rollIntervalMs: 1000 });
            // Sorted times, so the segments roll; a few arrive as one concurrent group.
            const sorted = [...records].sort((a, b) => a.timeMs - b.timeMs);
            await Promise.all(sorted.map((r) => log.write(r.data, r.timeMs)));
            await log.close();

            const files = (await readdir(dir)).sort();
            let versionChanged = false;
            for (const [pick, damage] of damages) {
              const path = join(dir, files[pick % files.length]!);
              const content = await readFile(path);
              let next: Buffer;
              if (damage.kind === 'append') next = Buffer.concat([content, damage.bytes]);
              else if (damage.kind === 'truncate')
                next = content.subarray(0, damage.at % (content.length + 1));
              else {
                const at = damage.at % (content.length + 1);
                next = Buffer.from(content);
                const end = Math.min(next.length, at + damage.bytes.length);
                next.set(damage.bytes.subarray(0, end - at), at);
              }
              await writeFile(path, next);
            }
            for (const file of files) {
              const content = await readFile(join(dir, file));
              if (
                content.length >= WAL_HEADER_BYTES &&
                content.subarray(0, WAL_MAGIC.length).equals(WAL_MAGIC) &&
                content.readUInt16LE(WAL_MAGIC.length) !== WAL_FORMAT_VERSION
              ) {
                versionChanged = true;
              }
            }

            let reopened: FileWriteAheadLog;
            try {
              reopened = await FileWriteAheadLog.open(dir);
            } catch (error) {
              expect(versionChanged && isSidestreamError(error, 'SS_WAL_FORMAT_UNKNOWN')).toBe(true);
              return;
            }
            expect(versionChanged).toBe(false);
            const got: Written[] = [];
            for await (const r of reopened.readAll()) {
              got.push({ data: r.data, timeMs: r.timeMs });
              expect(Buffer.from(await reopened.read(r.ref)).equals(Buffer.from(r.data))).toBe(true);
            }
            expect(isSubsequence(got, sorted)).toBe(true);
            // The log stays writable after recovery, and new records follow the survivors.
            await reopened.write(Uint8Array.of(1, 2, 3), 5000);
            const after: Written[] = [];
            for await (const r of reopened.readAll()) after.push({ data: r.data, timeMs: r.timeMs });
            expect(after).toHaveLength(got.length + 1);
            await reopened.close();
            // A second open finds nothing more to repair.
            const third = await FileWriteAheadLog.open(dir);
            const tail = [...third.truncations].filter((t) => !/older segment/.test(t.reason));
            expect(tail).toEqual([]);
            await third.close();
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
