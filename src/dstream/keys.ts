/**
 * Key identity and partitioning for pair operations. JavaScript Maps compare objects by
 * reference, but Spark compares keys by value, so a tuple or object key is identified by its
 * JSON text; primitives are their own identity. The hash is stable across processes (FNV-1a) so
 * the same key lands in the same partition in every run and, later, in every worker.
 */

export type KeyId = string | number | boolean | bigint | symbol | null | undefined;

const OBJECT_KEY_PREFIX = '\u0000json:';

export function keyIdOf(key: unknown): KeyId {
  if (key !== null && typeof key === 'object') return OBJECT_KEY_PREFIX + JSON.stringify(key);
  return key as KeyId;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Non-negative partition index of a key identity among `numPartitions`. */
export function partitionOf(id: KeyId, numPartitions: number): number {
  if (numPartitions === 1) return 0;
  if (typeof id === 'number' && Number.isInteger(id)) return Math.abs(id) % numPartitions;
  return fnv1a(typeof id === 'string' ? id : String(id)) % numPartitions;
}
