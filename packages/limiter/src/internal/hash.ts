/**
 * 32-bit string hash for the keyed limiter's own hash table: FNV-1a over UTF-16 code units
 * (Fowler, Noll, Vo), then MurmurHash3's `fmix32` finaliser so the low bits (the table index)
 * depend on every character. Not seeded: the table bounds every probe sequence instead (see
 * `keyed-limiter.ts`), so crafted colliding keys cost a bounded scan, never a quadratic one.
 *
 * Returns a NON-ZERO int32 (0 marks an empty row; a hash of 0 becomes 1): int32 results stay
 * small integers in V8, so passing and returning them never allocates a heap number.
 */
export function hashKey(key: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h === 0 ? 1 : h;
}
