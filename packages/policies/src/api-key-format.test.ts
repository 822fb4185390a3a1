import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32Hex, generateApiKey, isWellFormedApiKey } from './api-key-format.js';

describe('api-key format', () => {
  it('crc32Hex - the IEEE CRC-32 check value (zlib, PNG)', () => {
    expect(crc32Hex('123456789')).toBe('cbf43926');
    expect(crc32Hex('')).toBe('00000000');
  });

  it('generateApiKey - <prefix>_<hex>_<crc32>, from the given random source', () => {
    const key = generateApiKey({ prefix: 'sk', byteLength: 16, random: (b) => b.fill(0xab) });
    expect(key).toBe(`sk_${'ab'.repeat(16)}_${crc32Hex(`sk_${'ab'.repeat(16)}`)}`);
    expect(generateApiKey()).toMatch(/^[0-9a-f]{48}_[0-9a-f]{8}$/);
    expect(generateApiKey()).not.toBe(generateApiKey());
    expect(() => generateApiKey({ prefix: 'no_underscores' })).toThrow(/prefix/);
    expect(() => generateApiKey({ byteLength: 8 })).toThrow(/byteLength/);
  });

  it('property - every generated key is well formed, and any one-character change is caught by the checksum', () => {
    const format = { prefix: 'zpka', checksum: true, maxLength: 256 };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(), fc.constantFrom(...'0123456789abcdef_x'), (bytes, at, c) => {
        const key = generateApiKey({ prefix: 'zpka', byteLength: 16, random: (b) => b.set(bytes) });
        expect(isWellFormedApiKey(key, format)).toBe(true);
        const i = 5 + (at % (key.length - 5));
        if (key[i] === c) return;
        const typo = key.slice(0, i) + c + key.slice(i + 1);
        expect(isWellFormedApiKey(typo, format)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('isWellFormedApiKey - length, visible ASCII, prefix', () => {
    const plain = { checksum: false, maxLength: 20 };
    expect(isWellFormedApiKey('abc', plain)).toBe(true);
    expect(isWellFormedApiKey('', plain)).toBe(false);
    expect(isWellFormedApiKey('a'.repeat(21), plain)).toBe(false);
    expect(isWellFormedApiKey('a b', plain)).toBe(false);
    expect(isWellFormedApiKey('caf\u00e9', plain)).toBe(false);
    expect(isWellFormedApiKey('sk_abc', { ...plain, prefix: 'sk' })).toBe(true);
    expect(isWellFormedApiKey('skabc', { ...plain, prefix: 'sk' })).toBe(false);
  });
});
