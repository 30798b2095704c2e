/**
 * Kafka's codecs as plain functions and as kafkajs codecs (src/sources/kafka/kafka-codecs.ts),
 * offline: round trips, the wire formats other clients write (xerial-framed and raw snappy, an
 * LZ4 frame and a zstd frame without content size written by the reference command-line tools,
 * lz4 1.9.4 and zstd 1.5.4, kept under fixtures/), and the errors a corrupt payload gives. Interop with the Java client
 * against a real broker: test/integration/kafka-compression.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { SidestreamError } from '../../src/errors.js';
import {
  compress,
  decompress,
  KAFKA_CODECS,
  type KafkaCodec,
  packageZstdCodec,
  registerKafkajsCodecs,
  ZSTD_FROM_NODE_ZLIB,
} from '../../src/sources/kafka/kafka-codecs.js';
import {
  isXerialFramed,
  XERIAL_CHUNK_BYTES,
  xerialBlocks,
} from '../../src/sources/kafka/snappy-xerial-frame.js';

const require = createRequire(import.meta.url);

/** Compressible and incompressible parts, longer than two xerial chunks. */
const DATA = Buffer.concat([
  Buffer.from('sidestream record value '.repeat(4000)),
  randomBytes(3 * 1024),
  Buffer.from('tail'),
]);

/**
 * What the fixtures hold, compressed: 96,000 bytes of text, 3 KiB from a 32-bit linear
 * congruential generator (incompressible), and a tail. Made with
 * `lz4 -c - > frame-data.lz4` and `zstd -c -q - > frame-data.zst` from these bytes.
 */
function frameData(): Buffer {
  const noise = Buffer.alloc(3 * 1024);
  let x = 12345;
  for (let i = 0; i < noise.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    noise[i] = x >>> 24;
  }
  return Buffer.concat([Buffer.from('sidestream record value '.repeat(4000)), noise, Buffer.from('tail')]);
}

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

describe('kafka codecs', () => {
  it.each(KAFKA_CODECS)('%s: decompress(compress(x)) is x, also for empty input', async (codec) => {
    const packed = await compress(codec, DATA);
    expect(packed.length).toBeLessThan(DATA.length);
    expect((await decompress(codec, packed)).equals(DATA)).toBe(true);
    expect((await decompress(codec, await compress(codec, Buffer.alloc(0)))).length).toBe(0);
  });

  it('snappy writes the xerial framing the Java producer writes, in 32 KiB chunks', async () => {
    const packed = await compress('snappy', DATA);
    expect(packed.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001');
    expect(isXerialFramed(packed)).toBe(true);
    const { uncompressSync } = require('snappy') as typeof import('snappy');
    const chunks = xerialBlocks(packed).map((b) => uncompressSync(b, { asBuffer: true }) as Buffer);
    expect(chunks.length).toBe(Math.ceil(DATA.length / XERIAL_CHUNK_BYTES));
    expect(chunks.slice(0, -1).every((c) => c.length === XERIAL_CHUNK_BYTES)).toBe(true);
    expect(Buffer.concat(chunks).equals(DATA)).toBe(true);
  });

  it('snappy reads a bare raw snappy block (older clients, kafkajs-snappy) as well', async () => {
    const { compressSync } = require('snappy') as typeof import('snappy');
    const raw = compressSync(DATA);
    expect(isXerialFramed(raw)).toBe(false);
    expect((await decompress('snappy', raw)).equals(DATA)).toBe(true);
  });

  it('snappy reads a xerial frame of several chunks written elsewhere', async () => {
    const { compressSync } = require('snappy') as typeof import('snappy');
    const parts = [Buffer.from('first chunk '), Buffer.from('second '.repeat(50)), Buffer.from('third')];
    const header = Buffer.from('82534e41505059000000000100000001', 'hex');
    const framed = Buffer.concat([
      header,
      ...parts.flatMap((p) => {
        const block = compressSync(p);
        const length = Buffer.alloc(4);
        length.writeInt32BE(block.length);
        return [length, block];
      }),
    ]);
    expect((await decompress('snappy', framed)).equals(Buffer.concat(parts))).toBe(true);
  });

  it('lz4 reads an LZ4 frame from the lz4 command-line tool', async () => {
    const frame = fixture('frame-data.lz4');
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    expect((await decompress('lz4', frame)).equals(frameData())).toBe(true);
  });

  it('zstd reads a streamed frame without content size (as the Java producer writes)', async () => {
    const frame = fixture('frame-data.zst');
    // Frame header descriptor: the content-size flag (top two bits) unset.
    expect(frame.readUInt8(4) >> 6).toBe(0);
    expect((await decompress('zstd', frame)).equals(frameData())).toBe(true);
    expect((await packageZstdCodec.decompress(frame)).equals(frameData())).toBe(true);
  });

  it('zstd from @toondepauw/node-zstd round-trips and reads what the codec in use writes', async () => {
    const packed = await packageZstdCodec.compress(DATA);
    expect((await decompress('zstd', packed)).equals(DATA)).toBe(true);
    expect((await packageZstdCodec.decompress(await compress('zstd', DATA))).equals(DATA)).toBe(true);
    // Which one `compress('zstd')` uses depends on the Node running the tests: node:zlib has
    // zstd from 22.15 on the 22 line and from 23.8.
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    expect(ZSTD_FROM_NODE_ZLIB).toBe(
      major > 23 || (major === 23 && minor >= 8) || (major === 22 && minor >= 15),
    );
  });

  it.each([
    ['gzip', /gzip-compressed record batch of 23 bytes/],
    ['snappy', /snappy-compressed record batch of 23 bytes/],
    ['lz4', /lz4-compressed record batch of 23 bytes/],
    ['zstd', /zstd-compressed record batch of 23 bytes/],
  ] as [KafkaCodec, RegExp][])(
    '%s: a corrupt payload rejects with SS_SOURCE_FAILED naming the codec',
    async (codec, message) => {
      const corrupt = Buffer.from('this is not compressed!');
      const error = await decompress(codec, corrupt).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SidestreamError);
      expect((error as SidestreamError).code).toBe('SS_SOURCE_FAILED');
      expect((error as Error).message).toMatch(message);
    },
  );

  it('a truncated xerial frame rejects, saying where the chunk runs out', async () => {
    const packed = await compress('snappy', DATA);
    const error = await decompress('snappy', packed.subarray(0, packed.length - 10)).catch((e: unknown) => e);
    expect((error as SidestreamError).code).toBe('SS_SOURCE_FAILED');
    expect((error as Error).message).toMatch(
      /snappy-compressed record batch .*xerial snappy frame: the chunk at offset \d+ claims \d+ bytes, but \d+ remain/,
    );
  });

  it('an unknown codec name is refused, listing the codecs', async () => {
    await expect(compress('brotli' as KafkaCodec, DATA)).rejects.toThrow(
      /unknown Kafka compression codec "brotli"; the codecs are gzip, snappy, lz4, zstd/,
    );
  });

  it("kafkajs' codec table gets snappy, lz4 and zstd, which then round-trip through its codec interface", async () => {
    registerKafkajsCodecs();
    const { CompressionCodecs, CompressionTypes } = await import('kafkajs');
    const table = CompressionCodecs as unknown as Record<
      number,
      () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }
    >;
    for (const type of [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD]) {
      const codec = table[type];
      expect(codec).toBeTypeOf('function');
      const c = codec?.();
      const packed = await c?.compress({ buffer: DATA });
      expect(packed && (await c?.decompress(packed))?.equals(DATA)).toBe(true);
    }
  });
});
