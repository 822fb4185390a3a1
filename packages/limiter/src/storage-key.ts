/**
 * The size rule for limiter keys: what a key is stored under, in the keyed limiter's table and
 * in Redis. A key comes from the client (a header, an API key, an attribute), so without a rule
 * its size is the client's choice, and so is the memory the keys hold (measured in
 * docs/guides/rate-limiting.md). With it, a stored key is
 * at most {@link MAX_KEY_LENGTH} UTF-16 code units (192 UTF-8 bytes) or a 28-character digest.
 */
import { sha256, wtf8 } from './internal/sha256.js';

/** Longest key (in UTF-16 code units, `key.length`) stored as it is; longer keys are digested. */
export const MAX_KEY_LENGTH = 64;

/** First character of a digested key; keys that start with it are digested too (see {@link storageKey}). */
export const DIGEST_MARKER = '#';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The form a limiter key is stored under. The rule: a key of at most {@link MAX_KEY_LENGTH}
 * UTF-16 code units that does not start with `#` is stored as it is; any other key is
 * replaced by `#` followed by the first 160 bits of the SHA-256 of its UTF-8 bytes (WTF-8 for
 * lone surrogates) in base64url without padding: 28 characters in all.
 *
 * Why this shape: SHA-256 is collision-resistant, so a client cannot craft a long key that
 * shares another client's bucket (a truncated digest of 160 bits keeps a 2^80 birthday bound,
 * NIST SP 800-107 §5.1); 28 Latin-1 characters is exactly what the keyed limiter keeps inline
 * in its row, so a digested key costs no string on the heap; and since every key that starts
 * with `#` is digested, no stored key of one form can equal a stored key of the other. The
 * same function names Redis keys (`@switchyard/redis`), so every instance and both stores
 * agree. Keys of up to 64 characters (client IPs, UUIDs, most ids) are never hashed, so the
 * common path pays one length check.
 *
 * @example
 * ```ts
 * import { storageKey } from '@switchyard/limiter';
 * storageKey('203.0.113.7/32');   // '203.0.113.7/32'
 * storageKey('k'.repeat(8192));   // '#' + 27 base64url characters
 * ```
 */
export function storageKey(key: string): string {
  return key.length > MAX_KEY_LENGTH || key.charCodeAt(0) === 35 ? digestKey(key) : key;
}

/** `#` + base64url of the first 20 bytes of SHA-256(WTF-8 of `key`). */
export function digestKey(key: string): string {
  const h = sha256(wtf8(key));
  let out = DIGEST_MARKER;
  // 160 bits = 26 full sextets + 4 bits: read them from the big-endian words.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 5; i++) {
    const word = h[i] as number;
    for (let b = 24; b >= 0; b -= 8) {
      acc = (acc << 8) | ((word >>> b) & 255);
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += B64URL[(acc >>> bits) & 63] as string;
      }
      acc &= (1 << bits) - 1;
    }
  }
  if (bits > 0) out += B64URL[(acc << (6 - bits)) & 63] as string;
  return out;
}
