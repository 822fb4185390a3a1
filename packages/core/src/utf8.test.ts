import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3, murmur3Bytes } from './hash.js';
import { encodeUtf8 } from './utf8.js';

describe('encodeUtf8', () => {
  it('encodes as TextEncoder does: lone surrogates become U+FFFD (EF BF BD), not CESU-8', () => {
    expect([...encodeUtf8('é€😀')]).toEqual([0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
    expect([...encodeUtf8('a\ud800b')]).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62]);
    expect([...encodeUtf8('\udc00')]).toEqual([0xef, 0xbf, 0xbd]);
  });

  it('property - murmur3 of a string is murmur3Bytes of its encodeUtf8 bytes (one UTF-8 everywhere)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
      expect(murmur3Bytes(encodeUtf8(s), seed)).toBe(murmur3(s, seed));
    }));
  });
});
