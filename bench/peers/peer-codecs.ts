/**
 * The codecs the peer benchmark's topic can be written with (`--peer-codec`): 'none' and every
 * codec of Kafka's one table (src/sources/kafka/kafka-codecs.ts), so a codec the engine learns
 * is a codec the benchmark can run on, with no second list to keep in step.
 */
import { CompressionTypes } from 'kafkajs';
import { KAFKA_CODEC_IDS, KAFKA_CODECS, type KafkaCodec } from '../../src/sources/kafka/kafka-codecs.js';

export type PeerCodec = 'none' | KafkaCodec;

/** Each codec's record-batch attribute id, which is also kafkajs' CompressionTypes value. */
export const PEER_CODECS: Readonly<Record<PeerCodec, number>> = {
  none: CompressionTypes.None,
  ...KAFKA_CODEC_IDS,
};

/** Every codec, 'none' first, then Kafka's in the order of their ids. */
export const PEER_CODEC_NAMES: readonly PeerCodec[] = ['none', ...KAFKA_CODECS];

const isPeerCodec = (name: string): name is PeerCodec =>
  (PEER_CODEC_NAMES as readonly string[]).includes(name);

/**
 * The value of `--peer-codec`: one codec or several, comma-separated, each run on its own topic
 * in the order given. Throws, naming the flag and the allowed values, on an unknown or repeated
 * codec or an empty list.
 */
export function parsePeerCodecs(value: string): PeerCodec[] {
  const names = value.split(',').map((n) => n.trim());
  const allowed = PEER_CODEC_NAMES.map((c) => `'${c}'`).join(', ');
  const unknown = names.filter((n) => !isPeerCodec(n));
  if (unknown.length > 0) {
    throw new Error(
      `--peer-codec must name some of ${allowed}, comma-separated (got '${value}'; unknown: ${unknown.map((n) => `'${n}'`).join(', ')})`,
    );
  }
  const codecs = names.filter(isPeerCodec);
  const repeated = codecs.filter((c, i) => codecs.indexOf(c) !== i);
  if (repeated.length > 0) {
    throw new Error(
      `--peer-codec names ${[...new Set(repeated)].map((c) => `'${c}'`).join(', ')} more than once (got '${value}')`,
    );
  }
  return codecs;
}
