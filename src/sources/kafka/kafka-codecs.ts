/**
 * Kafka's record-batch compression codecs (gzip, snappy, lz4, zstd): the one table of them, as
 * plain `compress` / `decompress` functions and as kafkajs codecs. kafkajs 2.2.4 implements only
 * gzip and throws for the others, so a topic the Java producer wrote with
 * `compression.type=snappy|lz4|zstd` could not be read and the Kafka sink could not write one.
 *
 * Wire formats, as the Java client writes and reads them:
 * - gzip: a gzip stream (node:zlib);
 * - snappy: the xerial-framed stream (snappy-xerial-frame.ts); a bare raw snappy block is
 *   accepted too, as the Java consumer accepts it;
 * - lz4: the LZ4 frame format (not a bare LZ4 block);
 * - zstd: one zstd frame, whose content size the Java producer leaves out (it streams).
 *
 * The libraries (see docs/kafka.md, "Compression codecs") are loaded on first use of their
 * codec, so a job that never meets snappy never loads its native binding. zstd comes from
 * node:zlib where Node has it (22.15 and later), else from @toondepauw/node-zstd.
 */
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { SidestreamError } from '../../errors.js';
import { isXerialFramed, XERIAL_CHUNK_BYTES, xerialBlocks, xerialFrame } from './snappy-xerial-frame.js';

/** A codec Kafka compresses record batches with. */
export type KafkaCodec = 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Every codec, in the order of their attribute ids (1..4) in a record batch. */
export const KAFKA_CODECS: readonly KafkaCodec[] = ['gzip', 'snappy', 'lz4', 'zstd'];

/** A record batch's attribute bits for each codec (kafkajs' CompressionTypes, Kafka's ids). */
export const KAFKA_CODEC_IDS: Readonly<Record<KafkaCodec, number>> = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

interface Codec {
  compress(data: Buffer): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

const require = createRequire(import.meta.url);

/** `pkg`, required on first use; a platform without its binary gets an error saying so. */
function lazyPackage<T>(codec: KafkaCodec, pkg: string): () => T {
  let loaded: T | undefined;
  return () => {
    if (loaded !== undefined) return loaded;
    try {
      loaded = require(pkg) as T;
      return loaded;
    } catch (error) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `the ${codec} codec needs the npm package ${pkg}, which did not load on ${process.platform}-${process.arch} ` +
          `(${(error as Error).message}); install sidestream's dependencies with their optional (per-platform) packages, e.g. \`npm ci\` without --omit=optional`,
        { cause: error },
      );
    }
  };
}

const gunzip = promisify(zlib.unzip);
const gzip = promisify(zlib.gzip);

const gzipCodec: Codec = {
  compress: (data) => gzip(data),
  decompress: (data) => gunzip(data),
};

const snappyLib = lazyPackage<typeof import('snappy')>('snappy', 'snappy');

const snappyCodec: Codec = {
  async compress(data) {
    const { compress } = snappyLib();
    const blocks: Buffer[] = [];
    for (let at = 0; at < data.length; at += XERIAL_CHUNK_BYTES)
      blocks.push(await compress(data.subarray(at, at + XERIAL_CHUNK_BYTES)));
    return xerialFrame(blocks);
  },
  async decompress(data) {
    const { uncompress } = snappyLib();
    const raw = (block: Buffer) => uncompress(block, { asBuffer: true }) as Promise<Buffer>;
    if (!isXerialFramed(data)) return raw(data);
    const parts: Buffer[] = [];
    for (const block of xerialBlocks(data)) parts.push(await raw(block));
    return Buffer.concat(parts);
  },
};

const lz4Lib = lazyPackage<typeof import('lz4-napi')>('lz4', 'lz4-napi');

const lz4Codec: Codec = {
  compress: (data) => lz4Lib().compressFrame(data),
  decompress: (data) => lz4Lib().decompressFrame(data),
};

/** node:zlib's zstd one-shot functions (Node 22.15 and later; @types/node 20 does not list them). */
interface ZlibZstd {
  zstdCompress(data: Buffer, callback: (error: Error | null, result: Buffer) => void): void;
  zstdDecompress(data: Buffer, callback: (error: Error | null, result: Buffer) => void): void;
}

function zlibZstd(): Codec | undefined {
  const z = zlib as unknown as Partial<ZlibZstd>;
  if (typeof z.zstdCompress !== 'function' || typeof z.zstdDecompress !== 'function') return undefined;
  const compress = promisify(z.zstdCompress.bind(zlib));
  const decompress = promisify(z.zstdDecompress.bind(zlib));
  return { compress: (data) => compress(data), decompress: (data) => decompress(data) };
}

const zstdLib = lazyPackage<typeof import('@toondepauw/node-zstd')>('zstd', '@toondepauw/node-zstd');

/** Level 3: zstd's own default, and the Java producer's (compression.zstd.level). */
const ZSTD_LEVEL = 3;

/**
 * zstd from @toondepauw/node-zstd, for Nodes without zstd in node:zlib. Exported so that its
 * tests run on every Node, not only where node:zlib has no zstd.
 */
export const packageZstdCodec: Codec = {
  compress: (data) => new (zstdLib().Encoder)(ZSTD_LEVEL).encode(data),
  decompress: (data) => new (zstdLib().Decoder)().decode(data),
};

/** Whether zstd comes from node:zlib on this Node (else from packageZstdCodec). */
export const ZSTD_FROM_NODE_ZLIB = zlibZstd() !== undefined;

const CODECS: Readonly<Record<KafkaCodec, Codec>> = {
  gzip: gzipCodec,
  snappy: snappyCodec,
  lz4: lz4Codec,
  zstd: zlibZstd() ?? packageZstdCodec,
};

function codecOf(codec: KafkaCodec): Codec {
  const found = Object.hasOwn(CODECS, codec) ? CODECS[codec] : undefined;
  if (found === undefined)
    throw new SidestreamError(
      'SS_CONFIG_INVALID',
      `unknown Kafka compression codec ${JSON.stringify(codec)}; the codecs are ${KAFKA_CODECS.join(', ')}`,
    );
  return found;
}

/** `data` compressed with `codec`, in the wire format Kafka's Java client reads. */
export async function compress(codec: KafkaCodec, data: Buffer): Promise<Buffer> {
  return codecOf(codec).compress(data);
}

/**
 * The records of a compressed record batch: `data` is its payload after the batch header. A
 * payload that is not valid `codec` data rejects with SS_SOURCE_FAILED, naming the codec.
 */
export async function decompress(codec: KafkaCodec, data: Buffer): Promise<Buffer> {
  const impl = codecOf(codec);
  try {
    return await impl.decompress(data);
  } catch (error) {
    if (error instanceof SidestreamError) throw error;
    throw new SidestreamError(
      'SS_SOURCE_FAILED',
      `cannot decompress a ${codec}-compressed record batch of ${data.length} bytes: ${(error as Error).message ?? String(error)}`,
      { cause: error },
    );
  }
}

/** kafkajs' compression table (protocol/message/compression): codec id -> codec factory. */
type KafkajsCodecTable = Record<number, () => unknown>;

let registered = false;

/**
 * Puts snappy, lz4 and zstd in kafkajs' codec table (gzip stays kafkajs' own, the same zlib
 * calls), so its producer writes and its fetch decoder reads them. Idempotent. Only kafkajs'
 * small compression module is loaded for it, not kafkajs itself: its exported table is the object
 * kafkajs' record-batch encoder and decoder look codecs up in at each use, so a kafkajs loaded
 * before or after this sees them all the same.
 */
export function registerKafkajsCodecs(): void {
  if (registered) return;
  const { Codecs } = require('kafkajs/src/protocol/message/compression') as { Codecs: KafkajsCodecTable };
  for (const codec of ['snappy', 'lz4', 'zstd'] as const) {
    const kafkajsCodec = {
      compress: (encoder: { buffer: Buffer }) => compress(codec, encoder.buffer),
      decompress: (buffer: Buffer) => decompress(codec, buffer),
    };
    Codecs[KAFKA_CODEC_IDS[codec]] = () => kafkajsCodec;
  }
  registered = true;
}
