import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmix32, murmur3, murmur3Bytes, hashToUnit } from './hash.js';

// Reference vectors of MurmurHash3_x86_32: SMHasher's verification values and the widely
// published test table (e.g. the Wikipedia / StackOverflow "MurmurHash3 test vectors").
const VECTORS: ReadonlyArray<readonly [string, number, number]> = [
  ['', 0, 0x00000000],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['\u0000\u0000\u0000\u0000', 0, 0x2362f9de],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['aaa', 0x9747b28c, 0x283e0130],
  ['aa', 0x9747b28c, 0x5d211726],
  ['a', 0x9747b28c, 0x7fa09ea6],
  ['abcd', 0x9747b28c, 0xf0478627],
  ['abc', 0x9747b28c, 0xc84a62dd],
  ['ab', 0x9747b28c, 0x74875592],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  // UTF-8: eight U+03C0 (π), 16 bytes.
  ['ππππππππ', 0x9747b28c, 0xd58063c1],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  // The key users.md quotes: murmurhash3js gives 2075290051 (char codes & 0xff); UTF-8 gives this.
  ['feature:josé', 0, 1143560805],
];

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

describe('murmur3', () => {
  it.each(VECTORS)('matches the reference vector for %j seed %d', (key, seed, expected) => {
    expect(murmur3(key, seed)).toBe(expected);
    expect(murmur3Bytes(utf8(key), seed)).toBe(expected);
  });

  it('hashes the UTF-8 bytes of any string, lone surrogates as U+FFFD like TextEncoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer(), (s, seed) => {
        expect(murmur3(s, seed)).toBe(murmur3Bytes(utf8(s), seed));
      }),
      { numRuns: 2000 },
    );
    expect(murmur3('\ud800x')).toBe(murmur3Bytes(utf8('\ufffdx')));
  });

  it('the ASCII fast path agrees with the byte-wise hash, including keys that turn non-ASCII late', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), fc.string({ maxLength: 3 }), fc.integer(), (ascii, tail, seed) => {
        expect(murmur3(ascii, seed)).toBe(murmur3Bytes(utf8(ascii), seed));
        const mixed = `${ascii}é${tail}`;
        expect(murmur3(mixed, seed)).toBe(murmur3Bytes(utf8(mixed), seed));
      }),
      { numRuns: 2000 },
    );
  });

  it('does not collide U+0100 with U+0000 (the murmurhash3js bug)', () => {
    expect(murmur3('\u0100')).not.toBe(murmur3('\u0000'));
  });

  it('returns an unsigned 32-bit integer, and hashToUnit maps it into [0, 1)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const h = murmur3(s);
        expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
        const u = hashToUnit(h);
        expect(u >= 0 && u < 1).toBe(true);
      }),
    );
  });
});

describe('fmix32', () => {
  // Appleby's fmix32 on unsigned 32-bit integers, in BigInt: the reference the int32 version must match.
  const M = (1n << 32n) - 1n;
  const reference = (x: number): number => {
    let h = BigInt(x >>> 0);
    h ^= h >> 16n;
    h = (h * 0x85ebca6bn) & M;
    h ^= h >> 13n;
    h = (h * 0xc2b2ae35n) & M;
    h ^= h >> 16n;
    return Number(h);
  };

  it('matches the unsigned reference for any 32-bit input, as a signed int32', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0xffffffff }), (x) => {
        const h = fmix32(x);
        expect(h).toBe(h | 0);
        expect(h >>> 0).toBe(reference(x));
      }),
    );
  });

  it('is the finalizer of murmur3: the hash of the empty key is fmix32 of the seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
        expect(murmur3('', seed)).toBe(fmix32(seed) >>> 0);
      }),
    );
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1) >>> 0).toBe(0x514e28b7);
  });
});
