/** CRC32C against the standard check value and a byte-at-a-time reference. */
import { describe, expect, it } from 'vitest';
import { CRC32C_NATIVE, crc32c, crc32cByTable } from '../../src/state/crc32c.js';

// The textbook bitwise definition, to check the sliced tables against.
function reference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789', 'ascii'))).toBe(0xe3069283);
  });

  it('gives the RFC 3720 (iSCSI) vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  it('is 0 for no bytes', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('matches the bitwise definition at every length and alignment', () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff);
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= data.length; end += 7) {
        expect(crc32c(data, 0, start, end)).toBe(reference(data.subarray(start, end)));
      }
    }
  });

  it('continues over pieces as over the whole', () => {
    const data = Buffer.from('the quick brown fox jumps over the lazy dog');
    expect(crc32c(data.subarray(13), crc32c(data.subarray(0, 13)))).toBe(crc32c(data));
  });
});

describe('crc32c through the CPU instructions', () => {
  it('is in use on the platforms CI runs on', () => {
    // @node-rs/crc32 publishes a binding for linux x64 and arm64: losing it silently would cost
    // every Kafka fetch its fast checksum.
    if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
      expect(CRC32C_NATIVE).toBe(true);
    }
  });

  it('agrees with the tables at every length around the switch, offset and continuation', () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 197 + 11) & 0xff);
    for (const [start, end] of [
      [0, 255],
      [0, 256],
      [1, 257],
      [3, 1000],
      [0, 5000],
      [777, 4999],
    ] as const) {
      expect(crc32c(data, 0, start, end), `[${start}, ${end})`).toBe(crc32cByTable(data, 0, start, end));
      expect(crc32c(data, 0x1234abcd, start, end), `[${start}, ${end}) continued`).toBe(
        crc32cByTable(data, 0x1234abcd, start, end),
      );
    }
    expect(crc32c(Buffer.from(data.buffer, 100, 3000))).toBe(reference(data.subarray(100, 3100)));
  });
});
