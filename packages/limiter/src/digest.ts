/**
 * SHA-256 as lower-case hex, synchronous and runtime-neutral: the limiter's own SHA-256
 * (`internal/sha256.ts`, FIPS 180-4) for other packages that must digest a string on a
 * synchronous path (API keys in `@switchyard/policies`, where Web Crypto's `subtle.digest`
 * would make every request asynchronous).
 */
import { sha256, wtf8 } from './internal/sha256.js';

const HEX = '0123456789abcdef';

/**
 * The SHA-256 of the UTF-8 bytes of `s` (WTF-8 for lone surrogates, so two different strings
 * never share their bytes), as 64 lower-case hex characters.
 *
 * When to use: hashing short secrets (API keys) or identifiers on a synchronous path. Gotcha:
 * this is a plain digest, not a password hash: use it only for high-entropy inputs.
 *
 * @example
 * ```ts
 * import { sha256Hex } from '@switchyard/limiter';
 * sha256Hex('abc'); // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 * ```
 */
export function sha256Hex(s: string): string {
  const h = sha256(wtf8(s));
  let out = '';
  for (let i = 0; i < 8; i++) {
    const w = h[i] as number;
    for (let b = 28; b >= 0; b -= 4) out += HEX[(w >>> b) & 15] as string;
  }
  return out;
}
