/**
 * Key packing and hashing for the keyed limiter's own hash table.
 *
 * A short key (1 to {@link INLINE_CHARS} characters, each in U+0001..U+00FF: client IPs such as
 * `203.0.113.7/32` or `2001:db8:0:100::/56`, most user and tenant ids) is packed four
 * characters per int32 word, zero padded, into {@link KEY_WORDS} words. As no packed character
 * is 0, the words alone identify the key (its length included): the table stores them in the
 * key's row and compares words, so a decision reads one row and never the stored key string.
 * Other keys are "long": their words are all 0 and the table keeps the string beside the row.
 *
 * Hashes: inline keys use MurmurHash3 x86_32's block mixing over the packed words (Appleby);
 * long keys FNV-1a over UTF-16 code units (Fowler, Noll, Vo); both end with Murmur3's `fmix32`
 * (core's) so every bit of the table index depends on every character. Not seeded: the table bounds
 * every probe sequence instead (see `keyed-limiter.ts`), so crafted colliding keys cost a
 * bounded scan, never a quadratic one.
 *
 * Hashes are NON-ZERO int32s (0 marks an empty row; a hash of 0 becomes 1): small integers in
 * V8, so passing and returning them never allocates a heap number.
 */

import { fmix32 } from '@switchyard/core';

/** Words of packed key per row. */
export const KEY_WORDS = 7;
/** Longest key kept inline in its row. */
export const INLINE_CHARS = KEY_WORDS * 4;

const scratch = new Int32Array(KEY_WORDS);

/**
 * Packs `key` into `words[0..KEY_WORDS)` (all 0 for a long key) and returns its non-zero hash.
 * `words[0] !== 0` exactly when the key is inline.
 */
export function packKey(key: string, words: Int32Array): number {
  const n = key.length;
  // Literals, not KEY_WORDS / INLINE_CHARS: bundlers turn top-level consts into `var`s, which
  // optimized code reloads and rechecks on every use.
  if (n === 0 || n > 28) return longHash(key, words);
  // One pass, four characters per word, each word mixed in as MurmurHash3 mixes a block.
  // `(c - 1) >>> 0 > 254` rejects 0 and everything above U+00FF in one comparison.
  let h = 0x9747b28c | 0;
  let k = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const c0 = key.charCodeAt(i);
    const c1 = key.charCodeAt(i + 1);
    const c2 = key.charCodeAt(i + 2);
    const c3 = key.charCodeAt(i + 3);
    if ((c0 - 1) >>> 0 > 254 || (c1 - 1) >>> 0 > 254 || (c2 - 1) >>> 0 > 254 || (c3 - 1) >>> 0 > 254) return longHash(key, words);
    const w = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
    words[k++] = w;
    h = mix(h, w);
  }
  if (i < n) {
    let w = 0;
    for (let shift = 0; i < n; i++, shift += 8) {
      const c = key.charCodeAt(i);
      if ((c - 1) >>> 0 > 254) return longHash(key, words);
      w |= c << shift;
    }
    words[k++] = w;
    h = mix(h, w);
  }
  for (; k < 7; k++) words[k] = 0;
  return fmix32(h ^ n) || 1;
}

/** MurmurHash3 x86_32's step for one 32-bit block. */
function mix(h: number, w: number): number {
  let k = Math.imul(w, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function longHash(key: string, words: Int32Array): number {
  for (let i = 0; i < KEY_WORDS; i++) words[i] = 0;
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return fmix32(h) || 1;
}

/** The table hash of `key` (what {@link packKey} returns). */
export function hashKey(key: string): number {
  return packKey(key, scratch);
}

/**
 * The home row of hash `tag` in a table of `rows` rows (any count, not only powers of two):
 * Lemire's multiply-shift range reduction, in float64 (`tag / 2^32` is exact and the product
 * stays below `rows`), so a table can be sized to its key limit rather than the next power of 2.
 */
export function homeRow(tag: number, rows: number): number {
  return Math.floor((tag >>> 0) * 2.3283064365386963e-10 * rows) | 0;
}
