/**
 * Byte-buffer helpers shared by the packages that read bodies (the gateway's buffered bodies,
 * the JWT policy's JWKS fetch).
 *
 * @module
 */

/**
 * The bytes of `chunks` in order, as one array. `total` is their summed `byteLength` (callers
 * count it as they read). A single chunk is returned as it is, not copied: do not write to the
 * result if the chunk is someone else's.
 *
 * @example
 * ```ts
 * import { concatBytes } from '@switchyard/core';
 * concatBytes([new Uint8Array([1, 2]), new Uint8Array([3])], 3); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
