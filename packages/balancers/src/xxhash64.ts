/**
 * XXH64 (Yann Collet, xxHash, `XXH64(input, length, seed)`; specification
 * `Cyan4973/xxHash: doc/xxhash_spec.md`), the hash Envoy uses for its hash policies, ring-hash
 * entries and Maglev permutations (`source/common/common/hash.h`, `HashUtil::xxHash64`, seed 0
 * unless given).
 *
 * JavaScript has no 64-bit integer arithmetic outside BigInt, and BigInt allocates, so the hot
 * path keeps each 64-bit word as two unsigned 32-bit halves and multiplies through 16-bit limbs
 * (`mul64`). A hash is computed into a typed-array register ({@link XXH64_OUT}) without
 * allocating; {@link xxhash64} is the convenient BigInt form. Reference vectors (xxhsum's sanity
 * check, "", "a", "abc") and a BigInt re-implementation pin it in `xxhash64.test.ts`.
 */

// Deliberately alike: redis/src/sha1.ts, limiter/src/internal/sha256.ts — XXH64's primes as int32 halves; the SHA initial values and rounds there belong to other algorithms
// The five primes of XXH64, as [high, low] 32-bit halves.
const P1H = 0x9e3779b1;
const P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d;
const P2L = 0x27d4eb4f;
const P3H = 0x165667b1;
const P3L = 0x9e3779f9;
const P4H = 0x85ebca77;
const P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f;
const P5L = 0x165667c5;

// State: the hash at W[0] (high), W[1] (low); the four stripe accumulators at W[2..9]. The
// steps of the algorithm are small functions that take only small integers (a byte, an offset, a
// slot) and keep 64-bit words as int32 halves in locals and typed arrays: a 32-bit half passed to
// or returned from a call V8 does not inline is boxed on the heap, and an XXH64 of a short key
// would otherwise make dozens of such calls. `mul` is small enough to be inlined into each step.
const W = new Int32Array(10);
// The product register of `mul`: [high, low].
const R = new Int32Array(2);

/** (ah:al) × (bh:bl) mod 2^64 into R (halves as int32 or uint32, either). */
function mul(ah: number, al: number, bh: number, bl: number): void {
  // 16-bit limbs; every partial product is taken as its 32 bits (Math.imul), so the arithmetic
  // stays in int32 registers: no float conversions.
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = Math.imul(a0, b0);
  const p01 = Math.imul(a0, b1);
  const p10 = Math.imul(a1, b0);
  // The carry into the high half of al × bl: < 3 × 2^16.
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  R[0] = (Math.imul(a1, b1) + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
  R[1] = Math.imul(al, bl);
}

/** Little-endian 32-bit word of `b` at `i` (as int32). */
function read32(b: Uint8Array, i: number): number {
  return (b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24);
}

/** XXH64_round on the accumulator at W[v] with the 8-byte lane of `b` at `i`: acc = rotl(acc + lane × P2, 31) × P1. */
function stripeRound(v: number, b: Uint8Array, i: number): void {
  mul(read32(b, i + 4), read32(b, i), P2H, P2L);
  const lo = ((W[v + 1] as number) >>> 0) + ((R[1] as number) >>> 0);
  const h = (W[v] as number) + (R[0] as number) + (lo > 0xffffffff ? 1 : 0);
  const l = lo | 0;
  mul((h << 31) | (l >>> 1), (l << 31) | (h >>> 1), P1H, P1L);
  W[v] = R[0] as number;
  W[v + 1] = R[1] as number;
}

/** XXH64_mergeRound of the accumulator at W[v] into the hash: h = (h ^ round(0, acc)) × P1 + P4. */
function mergeRound(v: number): void {
  mul(W[v] as number, W[v + 1] as number, P2H, P2L);
  const h = R[0] as number;
  const l = R[1] as number;
  mul((h << 31) | (l >>> 1), (l << 31) | (h >>> 1), P1H, P1L);
  mul((W[0] as number) ^ (R[0] as number), (W[1] as number) ^ (R[1] as number), P1H, P1L);
  const lo = ((R[1] as number) >>> 0) + (P4L >>> 0);
  W[0] = (R[0] as number) + P4H + (lo > 0xffffffff ? 1 : 0);
  W[1] = lo;
}

/** The finalization step of an 8-byte lane of `b` at `i`: h = rotl(h ^ round(0, lane), 27) × P1 + P4. */
function laneStep(b: Uint8Array, i: number): void {
  mul(read32(b, i + 4), read32(b, i), P2H, P2L);
  let h = R[0] as number;
  let l = R[1] as number;
  mul((h << 31) | (l >>> 1), (l << 31) | (h >>> 1), P1H, P1L);
  h = (W[0] as number) ^ (R[0] as number);
  l = (W[1] as number) ^ (R[1] as number);
  mul((h << 27) | (l >>> 5), (l << 27) | (h >>> 5), P1H, P1L);
  const lo = ((R[1] as number) >>> 0) + (P4L >>> 0);
  W[0] = (R[0] as number) + P4H + (lo > 0xffffffff ? 1 : 0);
  W[1] = lo;
}

/** The finalization step of a 4-byte word of `b` at `i`: h = rotl(h ^ (word × P1), 23) × P2 + P3. */
function wordStep(b: Uint8Array, i: number): void {
  mul(0, read32(b, i), P1H, P1L);
  const h = (W[0] as number) ^ (R[0] as number);
  const l = (W[1] as number) ^ (R[1] as number);
  mul((h << 23) | (l >>> 9), (l << 23) | (h >>> 9), P2H, P2L);
  const lo = ((R[1] as number) >>> 0) + (P3L >>> 0);
  W[0] = (R[0] as number) + P3H + (lo > 0xffffffff ? 1 : 0);
  W[1] = lo;
}

/** The finalization step of one byte: h = rotl(h ^ (byte × P5), 11) × P1. */
function byteStep(byte: number): void {
  mul(0, byte, P5H, P5L);
  const h = (W[0] as number) ^ (R[0] as number);
  const l = (W[1] as number) ^ (R[1] as number);
  mul((h << 11) | (l >>> 21), (l << 11) | (h >>> 21), P1H, P1L);
  W[0] = R[0] as number;
  W[1] = R[1] as number;
}

/** XXH64_avalanche into {@link XXH64_OUT}: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32. */
function avalanche(): void {
  const h0 = W[0] as number;
  mul(h0, (W[1] as number) ^ (h0 >>> 1), P2H, P2L);
  const h = R[0] as number;
  const l = R[1] as number;
  mul(h ^ (h >>> 29), l ^ ((l >>> 29) | (h << 3)), P3H, P3L);
  XXH64_OUT[0] = R[0] as number;
  XXH64_OUT[1] = (R[1] as number) ^ (R[0] as number);
}

/** W[slot] = seed + (ch:cl) mod 2^64. */
function seedPlus(slot: number, seedHi: number, seedLo: number, ch: number, cl: number): void {
  const lo = (seedLo >>> 0) + (cl >>> 0);
  W[slot] = seedHi + ch + (lo > 0xffffffff ? 1 : 0);
  W[slot + 1] = lo;
}

/**
 * The last hash computed by {@link xxh64Bytes} / {@link xxh64String}: `[high, low]` unsigned
 * 32-bit halves (internal; a typed array so that reading it allocates nothing).
 */
export const XXH64_OUT = new Uint32Array(2);

/**
 * XXH64 of `bytes[0 .. length)` with the 64-bit seed `seedHi:seedLo`, into {@link XXH64_OUT}
 * (internal: no allocation).
 */
export function xxh64Bytes(bytes: Uint8Array, length: number, seedHi: number, seedLo: number): void {
  let p = 0;
  if (length >= 32) p = stripes(bytes, length, seedHi, seedLo);
  else seedPlus(0, seedHi, seedLo, P5H, P5L + length);
  for (; p + 8 <= length; p += 8) laneStep(bytes, p);
  if (p + 4 <= length) {
    wordStep(bytes, p);
    p += 4;
  }
  for (; p < length; p++) byteStep(bytes[p] as number);
  avalanche();
}

/**
 * The 32-byte stripes of an input of ≥ 32 bytes, through `h += length`; returns the offset the
 * finalization continues from. A function of its own so that the short-key path above keeps
 * V8's inlining budget.
 */
function stripes(bytes: Uint8Array, length: number, seedHi: number, seedLo: number): number {
  // v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed − P1 (= seed + ~P1 + 1; no carry
  // out of ~P1's low half + 1, P1's low half not being 0).
  seedPlus(2, seedHi, seedLo, P1H, P1L);
  seedPlus(2, W[2] as number, W[3] as number, P2H, P2L);
  seedPlus(4, seedHi, seedLo, P2H, P2L);
  W[6] = seedHi;
  W[7] = seedLo;
  seedPlus(8, seedHi, seedLo, ~P1H, ~P1L + 1);
  let p = 0;
  const limit = length - 32;
  for (; p <= limit; p += 32) {
    stripeRound(2, bytes, p);
    stripeRound(4, bytes, p + 8);
    stripeRound(6, bytes, p + 16);
    stripeRound(8, bytes, p + 24);
  }
  // h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18), then the four merges.
  let hH = 0;
  let hL = 0;
  for (let k = 0; k < 4; k++) {
    const v = 2 + 2 * k;
    const r = k === 0 ? 1 : k === 1 ? 7 : k === 2 ? 12 : 18;
    const h = W[v] as number;
    const l = W[v + 1] as number;
    const lo = (hL >>> 0) + (((l << r) | (h >>> (32 - r))) >>> 0);
    hH = (hH + ((h << r) | (l >>> (32 - r))) + (lo > 0xffffffff ? 1 : 0)) | 0;
    hL = lo | 0;
  }
  W[0] = hH;
  W[1] = hL;
  mergeRound(2);
  mergeRound(4);
  mergeRound(6);
  mergeRound(8);
  // h += length (lengths stay far below 2^32).
  seedPlus(0, W[0] as number, W[1] as number, 0, length);
  return p;
}

/** Scratch bytes a string is encoded into before hashing (grown as needed, never shrunk below 256). */
let scratch = new Uint8Array(256);

/**
 * Writes the bytes of `s` into the scratch buffer and returns their count: each code unit as one
 * byte when `latin1` and every code unit is ≤ 0xFF (an HTTP field value as Node and the Fetch
 * `Headers` decode it, one character per byte), otherwise UTF-8 (lone surrogates as U+FFFD, as
 * `TextEncoder`).
 */
function encode(s: string, latin1: boolean): number {
  const n = s.length;
  if (scratch.length < 3 * n) scratch = new Uint8Array(Math.max(3 * n, 2 * scratch.length));
  const b = scratch;
  let i = 0;
  // Deliberately alike: limiter/src/internal/sha256.ts (wtf8) — this is UTF-8 with U+FFFD for lone surrogates (TextEncoder, the bytes Envoy hashes), written into a reused scratch buffer on the hash path; wtf8 keeps lone surrogates distinct for digests: two encodings
  const max = latin1 ? 0xff : 0x7f;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > max) break;
    b[i] = c;
  }
  if (i === n) return n;
  // Not single-byte: UTF-8 from the start (a latin1 string with a code unit > 0xFF cannot have
  // come off the wire, so its text is what it means).
  let o = 0;
  for (let k = 0; k < n; k++) {
    let c = s.charCodeAt(k);
    if (c < 0x80) {
      b[o++] = c;
    } else if (c < 0x800) {
      b[o++] = 0xc0 | (c >> 6);
      b[o++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = k + 1 < n ? s.charCodeAt(k + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          k++;
          b[o++] = 0xf0 | (c >> 18);
          b[o++] = 0x80 | ((c >> 12) & 0x3f);
          b[o++] = 0x80 | ((c >> 6) & 0x3f);
          b[o++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      b[o++] = 0xe0 | (c >> 12);
      b[o++] = 0x80 | ((c >> 6) & 0x3f);
      b[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o;
}

/**
 * XXH64 of the string `s` with seed `seedHi:seedLo` into {@link XXH64_OUT}
 * (internal). `latin1` selects the bytes of an HTTP field value (see `encode`); otherwise UTF-8.
 */
export function xxh64String(s: string, seedHi: number, seedLo: number, latin1: boolean): void {
  // Encode first: it may replace `scratch` with a larger buffer.
  const length = encode(s, latin1);
  xxh64Bytes(scratch, length, seedHi, seedLo);
}

/**
 * XXH64 of `input` (a string is hashed as its UTF-8 bytes) with a 64-bit `seed` (default 0, as
 * Envoy's `HashUtil::xxHash64`), as an unsigned 64-bit BigInt.
 *
 * @example
 * ```ts
 * import { xxhash64 } from '@switchyard/balancers';
 * xxhash64('abc');                          // 0x44bc2cf5ad770999n
 * xxhash64('127.0.0.1:90', 1n);             // Envoy's Maglev skip hash for that host
 * xxhash64(new Uint8Array([0xe9]));         // raw bytes
 * ```
 */
export function xxhash64(input: string | Uint8Array, seed: bigint | number = 0n): bigint {
  const s = BigInt.asUintN(64, BigInt(seed));
  const seedHi = Number(s >> 32n);
  const seedLo = Number(s & 0xffffffffn);
  if (typeof input === 'string') xxh64String(input, seedHi, seedLo, false);
  else xxh64Bytes(input, input.length, seedHi, seedLo);
  return (BigInt(XXH64_OUT[0] as number) << 32n) | BigInt(XXH64_OUT[1] as number);
}
