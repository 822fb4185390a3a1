import { murmur3 } from '@switchyard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3Fast } from './murmur3.js';

describe('murmur3Fast', () => {
  it('equals core murmur3 on ASCII keys of every tail length, with any seed', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (key, seed) => {
        expect(murmur3Fast(key, seed)).toBe(murmur3(key, seed));
      }),
      { numRuns: 2000 },
    );
  });

  it('equals core murmur3 on non-ASCII keys (falls back wherever the first non-ASCII unit is)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 12 }), (a, b, c) => {
        const key = a + b + c;
        expect(murmur3Fast(key)).toBe(murmur3(key));
      }),
      { numRuns: 400 },
    );
  });

  it('matches the reference vectors (SMHasher, UTF-8, lone surrogate)', () => {
    expect(murmur3Fast('')).toBe(0);
    expect(murmur3Fast('', 1)).toBe(0x514e28b7);
    expect(murmur3Fast('feature:josé')).toBe(1143560805);
    expect(murmur3Fast('a\ud800b')).toBe(murmur3('a\ufffdb'));
    for (const key of ['a', 'ab', 'abc', 'abcd', 'abcde', '10.0.0.1:8080', '\x7f\x7f\x7f\x80']) expect(murmur3Fast(key)).toBe(murmur3(key));
  });
});
