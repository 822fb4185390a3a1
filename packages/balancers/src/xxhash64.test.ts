import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xxhash64 } from './xxhash64.js';

const MASK = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

/** XXH64 written straight from the specification (doc/xxhash_spec.md) with BigInt: the oracle. */
function reference(b: Uint8Array, seed: bigint): bigint {
  const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK;
  const mul = (x: bigint, y: bigint): bigint => (x * y) & MASK;
  const add = (x: bigint, y: bigint): bigint => (x + y) & MASK;
  const read64 = (i: number): bigint => {
    let v = 0n;
    for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[i + k] as number);
    return v;
  };
  const read32 = (i: number): bigint => BigInt(((b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24)) >>> 0);
  const round = (acc: bigint, input: bigint): bigint => mul(rotl(add(acc, mul(input, P2)), 31n), P1);
  const merge = (acc: bigint, v: bigint): bigint => add(mul(acc ^ round(0n, v), P1), P4);
  const n = b.length;
  let p = 0;
  let h: bigint;
  if (n >= 32) {
    let v1 = add(add(seed, P1), P2);
    let v2 = add(seed, P2);
    let v3 = seed;
    let v4 = (seed - P1) & MASK;
    for (; p + 32 <= n; p += 32) {
      v1 = round(v1, read64(p));
      v2 = round(v2, read64(p + 8));
      v3 = round(v3, read64(p + 16));
      v4 = round(v4, read64(p + 24));
    }
    h = add(add(add(rotl(v1, 1n), rotl(v2, 7n)), rotl(v3, 12n)), rotl(v4, 18n));
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else {
    h = add(seed, P5);
  }
  h = add(h, BigInt(n));
  for (; p + 8 <= n; p += 8) h = add(mul(rotl(h ^ round(0n, read64(p)), 27n), P1), P4);
  if (p + 4 <= n) {
    h = add(mul(rotl(h ^ mul(read32(p), P1), 23n), P2), P3);
    p += 4;
  }
  for (; p < n; p++) h = mul(rotl(h ^ mul(BigInt(b[p] as number), P5), 11n), P1);
  h ^= h >> 33n;
  h = mul(h, P2);
  h ^= h >> 29n;
  h = mul(h, P3);
  return h ^ (h >> 32n);
}

describe('xxhash64', () => {
  it('matches the xxHash reference vectors of xxhsum\'s sanity check (Cyan4973/xxHash xxhsum.c BMK_sanityCheck: lengths 0, 1, 14, 101; seeds 0 and 2654435761)', () => {
    // The sanity buffer: byte i is the top byte of a generator squared each step from PRIME32.
    const buffer = new Uint8Array(101);
    let gen = 2654435761;
    for (let i = 0; i < buffer.length; i++) {
      buffer[i] = gen >>> 24;
      gen = Math.imul(gen, gen) >>> 0;
    }
    const cases: [number, number, bigint][] = [
      [0, 0, 0xef46db3751d8e999n],
      [0, 2654435761, 0xac75fda2929b17efn],
      [1, 0, 0x4fce394cc88952d8n],
      [1, 2654435761, 0x739840cb819fa723n],
      [14, 0, 0xcffa8db881bc3a3dn],
      [14, 2654435761, 0x5b9611585efcc9cbn],
      [101, 0, 0x0eab543384f878adn],
      [101, 2654435761, 0xcaa65939306f1e21n],
    ];
    for (const [length, seed, digest] of cases) expect(xxhash64(buffer.subarray(0, length), seed)).toBe(digest);
  });

  it('matches the well-known digests of "", "a", "abc" and a 39-byte sentence (seed 0)', () => {
    expect(xxhash64('')).toBe(0xef46db3751d8e999n);
    expect(xxhash64('a')).toBe(0xd24ec4f1a98c6e5bn);
    expect(xxhash64('abc')).toBe(0x44bc2cf5ad770999n);
    expect(xxhash64('Nobody inspects the spammish repetition')).toBe(0xfbcea83c8a378bf1n);
  });

  it('equals a BigInt implementation of the specification on any bytes and any 64-bit seed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.bigInt({ min: 0n, max: MASK }), (bytes, seed) => {
        expect(xxhash64(bytes, seed)).toBe(reference(bytes, seed));
      }),
      { numRuns: 2000 },
    );
  });

  it('hashes a string as its UTF-8 bytes (lone surrogates as U+FFFD), at any length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        expect(xxhash64(s)).toBe(reference(new TextEncoder().encode(s), 0n));
      }),
      { numRuns: 500 },
    );
    expect(xxhash64('\ud800')).toBe(xxhash64(new Uint8Array([0xef, 0xbf, 0xbd])));
    expect(xxhash64('é'.repeat(300))).toBe(reference(new TextEncoder().encode('é'.repeat(300)), 0n));
  });

  it('a negative or wider seed is taken modulo 2^64 (as uint64_t)', () => {
    expect(xxhash64('abc', -1n)).toBe(xxhash64('abc', MASK));
    expect(xxhash64('abc', (1n << 64n) + 1n)).toBe(xxhash64('abc', 1n));
  });
});
