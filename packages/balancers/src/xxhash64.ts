/**
 * XXH64 (Yann Collet, xxHash, `XXH64(input, length, seed)`; specification
 * `Cyan4973/xxHash: doc/xxhash_spec.md`), the hash Envoy uses for its hash policies, ring-hash
 * entries and Maglev permutations (`source/common/common/hash.h`, `HashUtil::xxHash64`, seed 0
 * unless given).
 *
 * JavaScript has no 64-bit integer arithmetic outside BigInt, and BigInt allocates, so the hot
 * path keeps each 64-bit word as two unsigned 32-bit halves and multiplies through 16-bit limbs
 * (`mul64`). A hash is computed into module registers ({@link xxh64Hi}/{@link xxh64Lo}) without
 * allocating; {@link xxhash64} is the convenient BigInt form. Reference vectors (xxhsum's sanity
 * check, "", "a", "abc") and a BigInt re-implementation pin it in `xxhash64.test.ts`.
 */

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

// Result registers of the 64-bit helpers below (unsigned 32-bit halves).
let H = 0;
let L = 0;

/** (ah:al) × (bh:bl) mod 2^64 into H:L. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  // High half of the 64-bit product al × bl: every partial product is < 2^32, every sum < 2^53.
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const hi = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  L = Math.imul(al, bl) >>> 0;
  H = (hi + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** (ah:al) + (bh:bl) mod 2^64 into H:L. */
function add64(ah: number, al: number, bh: number, bl: number): void {
  const lo = al + bl;
  L = lo >>> 0;
  H = (ah + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

/** rotl(h:l, r) for 0 < r < 32 into H:L. */
function rotl64(h: number, l: number, r: number): void {
  H = ((h << r) | (l >>> (32 - r))) >>> 0;
  L = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** XXH64_round: acc = rotl(acc + input × P2, 31) × P1, into H:L. */
function round(accH: number, accL: number, inH: number, inL: number): void {
  mul64(inH, inL, P2H, P2L);
  add64(accH, accL, H, L);
  rotl64(H, L, 31);
  mul64(H, L, P1H, P1L);
}

/** XXH64_mergeRound: h = (h ^ round(0, v)) × P1 + P4, into H:L. */
function mergeRound(hH: number, hL: number, vH: number, vL: number): void {
  round(0, 0, vH, vL);
  mul64((hH ^ H) >>> 0, (hL ^ L) >>> 0, P1H, P1L);
  add64(H, L, P4H, P4L);
}

/** Little-endian 32-bit word of `b` at `i`. */
function read32(b: Uint8Array, i: number): number {
  return ((b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24)) >>> 0;
}

/** High half of the last hash computed by {@link xxh64Bytes}. */
export let xxh64Hi = 0;
/** Low half of the last hash computed by {@link xxh64Bytes}. */
export let xxh64Lo = 0;

/**
 * XXH64 of `bytes[0 .. length)` with the 64-bit seed `seedHi:seedLo`, into
 * {@link xxh64Hi}:{@link xxh64Lo} (internal: no allocation).
 */
export function xxh64Bytes(bytes: Uint8Array, length: number, seedHi: number, seedLo: number): void {
  let hH: number;
  let hL: number;
  let p = 0;
  if (length >= 32) {
    // v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed − P1.
    add64(seedHi, seedLo, P1H, P1L);
    add64(H, L, P2H, P2L);
    let v1H = H;
    let v1L = L;
    add64(seedHi, seedLo, P2H, P2L);
    let v2H = H;
    let v2L = L;
    let v3H = seedHi;
    let v3L = seedLo;
    // −P1 mod 2^64 = ~P1 + 1 (no carry out of the low half: P1's low half is not 0).
    add64(seedHi, seedLo, ~P1H >>> 0, ((~P1L >>> 0) + 1) >>> 0);
    let v4H = H;
    let v4L = L;
    const limit = length - 32;
    for (; p <= limit; p += 32) {
      round(v1H, v1L, read32(bytes, p + 4), read32(bytes, p));
      v1H = H;
      v1L = L;
      round(v2H, v2L, read32(bytes, p + 12), read32(bytes, p + 8));
      v2H = H;
      v2L = L;
      round(v3H, v3L, read32(bytes, p + 20), read32(bytes, p + 16));
      v3H = H;
      v3L = L;
      round(v4H, v4L, read32(bytes, p + 28), read32(bytes, p + 24));
      v4H = H;
      v4L = L;
    }
    rotl64(v1H, v1L, 1);
    let aH = H;
    let aL = L;
    rotl64(v2H, v2L, 7);
    add64(aH, aL, H, L);
    aH = H;
    aL = L;
    rotl64(v3H, v3L, 12);
    add64(aH, aL, H, L);
    aH = H;
    aL = L;
    rotl64(v4H, v4L, 18);
    add64(aH, aL, H, L);
    hH = H;
    hL = L;
    mergeRound(hH, hL, v1H, v1L);
    mergeRound(H, L, v2H, v2L);
    mergeRound(H, L, v3H, v3L);
    mergeRound(H, L, v4H, v4L);
    hH = H;
    hL = L;
  } else {
    add64(seedHi, seedLo, P5H, P5L);
    hH = H;
    hL = L;
  }
  // h += length (lengths stay far below 2^32).
  add64(hH, hL, 0, length >>> 0);
  hH = H;
  hL = L;
  // XXH64_finalize: 8-byte lanes, one 4-byte lane, then single bytes.
  for (; p + 8 <= length; p += 8) {
    round(0, 0, read32(bytes, p + 4), read32(bytes, p));
    rotl64((hH ^ H) >>> 0, (hL ^ L) >>> 0, 27);
    mul64(H, L, P1H, P1L);
    add64(H, L, P4H, P4L);
    hH = H;
    hL = L;
  }
  if (p + 4 <= length) {
    mul64(0, read32(bytes, p), P1H, P1L);
    rotl64((hH ^ H) >>> 0, (hL ^ L) >>> 0, 23);
    mul64(H, L, P2H, P2L);
    add64(H, L, P3H, P3L);
    hH = H;
    hL = L;
    p += 4;
  }
  for (; p < length; p++) {
    mul64(0, bytes[p] as number, P5H, P5L);
    rotl64((hH ^ H) >>> 0, (hL ^ L) >>> 0, 11);
    mul64(H, L, P1H, P1L);
    hH = H;
    hL = L;
  }
  // XXH64_avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32.
  hL = (hL ^ (hH >>> 1)) >>> 0;
  mul64(hH, hL, P2H, P2L);
  hH = H;
  hL = (L ^ ((L >>> 29) | (H << 3))) >>> 0;
  hH = (hH ^ (hH >>> 29)) >>> 0;
  mul64(hH, hL, P3H, P3L);
  xxh64Hi = H;
  xxh64Lo = (L ^ H) >>> 0;
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
 * XXH64 of the string `s` with seed `seedHi:seedLo` into {@link xxh64Hi}:{@link xxh64Lo}
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
  return (BigInt(xxh64Hi) << 32n) | BigInt(xxh64Lo);
}
