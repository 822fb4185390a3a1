/** The sticky hash: MurmurHash3 x86_32 over UTF-8 bytes, computed without allocating. */

/**
 * MurmurHash3 x86_32 (Austin Appleby, SMHasher `MurmurHash3_x86_32`) over the **UTF-8 bytes**
 * of a string, computed without allocating: code points are encoded on the fly, lone
 * surrogates become U+FFFD exactly as `TextEncoder` does.
 *
 * This is switchyard's sticky hash, algorithm version {@link HASH_VERSION}: splits, hashing
 * balancers and experiments all use it, so an assignment is identical across processes,
 * runtimes and releases. Reference vectors (SMHasher's and UTF-8 ones) are in `hash.test.ts`
 * and docs/architecture.md. Unlike `murmurhash3js`, non-ASCII keys hash their real bytes
 * (`"feature:josé"` → 1143560805, not 2075290051).
 *
 * @example
 * ```ts
 * import { murmur3 } from '@switchyard/core';
 * murmur3('user-42');          // unsigned 32-bit integer
 * murmur3('user-42', 0xc0ffee) // another seed: an independent hash
 * ```
 */
export function murmur3(key: string, seed = 0): number {
  // Fast path for ASCII keys (user ids, session ids, addresses): four UTF-16 code units per block,
  // fewer instructions than encoding code points one by one (benchmarks/HISTORY.md). The first non-ASCII code unit
  // hands the whole key to the UTF-8 encoder below; the output is identical either way.
  const n = key.length;
  const blocks = n & ~3;
  let h = seed | 0;
  let i = 0;
  for (; i < blocks; i += 4) {
    const c0 = key.charCodeAt(i);
    const c1 = key.charCodeAt(i + 1);
    const c2 = key.charCodeAt(i + 2);
    const c3 = key.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 0x7f) return murmur3Utf8(key, seed);
    h = mixBlock(h, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
  }
  const rest = n - i;
  if (rest === 0) return finish(h, 0, 0, n);
  const c0 = key.charCodeAt(i);
  const c1 = rest > 1 ? key.charCodeAt(i + 1) : 0;
  const c2 = rest > 2 ? key.charCodeAt(i + 2) : 0;
  if ((c0 | c1 | c2) > 0x7f) return murmur3Utf8(key, seed);
  return finish(h, c0 | (c1 << 8) | (c2 << 16), rest * 8, n);
}

/** {@link murmur3} for keys with non-ASCII characters: UTF-8 encoded on the fly. */
function murmur3Utf8(key: string, seed: number): number {
  let h = seed | 0;
  let k = 0;
  let shift = 0;
  let length = 0;
  const n = key.length;
  for (let i = 0; i < n; i++) {
    let c = key.charCodeAt(i);
    let bytes: number;
    let count: number;
    if (c < 0x80) {
      bytes = c;
      count = 1;
    } else if (c < 0x800) {
      bytes = (0xc0 | (c >> 6)) | ((0x80 | (c & 0x3f)) << 8);
      count = 2;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? key.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        bytes =
          (0xf0 | (c >> 18)) |
          ((0x80 | ((c >> 12) & 0x3f)) << 8) |
          ((0x80 | ((c >> 6) & 0x3f)) << 16) |
          ((0x80 | (c & 0x3f)) << 24);
        count = 4;
      } else {
        bytes = 0xef | (0xbf << 8) | (0xbd << 16); // U+FFFD
        count = 3;
      }
    } else {
      bytes = (0xe0 | (c >> 12)) | ((0x80 | ((c >> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
      count = 3;
    }
    for (let b = 0; b < count; b++) {
      k |= ((bytes >>> (b * 8)) & 0xff) << shift;
      shift += 8;
      if (shift === 32) {
        h = mixBlock(h, k);
        k = 0;
        shift = 0;
      }
    }
    length += count;
  }
  return finish(h, k, shift, length);
}

/** {@link murmur3} over raw bytes. */
export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  let h = seed | 0;
  const n = bytes.length;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    h = mixBlock(h, k);
  }
  let k = 0;
  let shift = 0;
  for (let i = blocks; i < n; i++) {
    k |= (bytes[i] as number) << shift;
    shift += 8;
  }
  return finish(h, k, shift, n);
}

/** Version tag of the sticky hash; bumped only with a documented migration. */
export const HASH_VERSION = 'murmur3-x86_32-utf8/v1';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, k: number, shift: number, length: number): number {
  if (shift > 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  return fmix32(h ^ length) >>> 0;
}

/**
 * MurmurHash3's 32-bit finalizer `fmix32` (Austin Appleby, SMHasher `MurmurHash3.cpp`, public
 * domain): two multiply-xorshift rounds after which every output bit depends on every input bit
 * (the avalanche step that ends {@link murmur3}). Use it to spread an integer that is already a
 * hash or a counter (a probe sequence, packed key words, a seed) over all 32 bits without
 * hashing bytes again.
 *
 * Returns the 32 bits as a **signed** int32, which V8 keeps as a small integer: `>>> 0` gives the
 * reference's unsigned value. It is a bijection on 32-bit integers, so 0 maps to 0. Kept this
 * small so that V8 inlines it into the hash loops that call it.
 *
 * @example
 * ```ts
 * import { fmix32 } from '@switchyard/core';
 * fmix32(1) >>> 0; // 1364076727 (0x514e28b7)
 * ```
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Maps a 32-bit hash to a uniform float in [0, 1). */
export function hashToUnit(hash: number): number {
  return (hash >>> 0) / 4294967296;
}
