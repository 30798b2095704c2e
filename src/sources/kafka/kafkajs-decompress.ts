/**
 * kafkajsDecompress: decompresses a record batch with the codec registered in kafkajs'
 * `CompressionCodecs` (gzip built in; snappy, lz4 and zstd when the job registered one, the way
 * kafkajs documents it). The range reader's default, so a topic its kafkajs consumer could read
 * before our own decoder took over decoding stays readable; without a registered codec the error
 * says which codec is missing.
 */
import { createRequire } from 'node:module';
import type { Decompress } from './record-batch/decode-record-batches.js';

interface KafkajsCodec {
  decompress(data: Buffer): Promise<Buffer> | Buffer;
}

const TYPES = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

let codecs: Record<number, (() => KafkajsCodec) | undefined> | undefined;

export const kafkajsDecompress: Decompress = async (codec, data) => {
  // Loaded on first use: kafkajs itself is loaded lazily (kafkajs-read-committed.ts must come first).
  codecs ??= (
    createRequire(import.meta.url)('kafkajs/src/protocol/message/compression') as {
      Codecs: Record<number, (() => KafkajsCodec) | undefined>;
    }
  ).Codecs;
  let found: KafkajsCodec;
  try {
    const factory = codecs[TYPES[codec]];
    if (factory === undefined) throw new Error('none registered');
    found = factory();
  } catch (error) {
    throw new Error(
      `codec ${codec} not available: register one in kafkajs' CompressionCodecs (${(error as Error).message})`,
    );
  }
  return await found.decompress(data);
};
