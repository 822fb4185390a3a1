/**
 * UTF-8 encoding, one way everywhere: the platform's `TextEncoder` (in every runtime switchyard
 * supports: Node, Deno, Bun, workers, browsers), so a lone surrogate becomes U+FFFD (EF BF BD)
 * exactly as in core's `murmur3` and in any HTTP client. Several packages carried their own
 * encoders, which wrote lone surrogates as three-byte CESU-8 sequences instead.
 *
 * @module
 */

interface Encoder {
  encode(input: string): Uint8Array;
}

// `lib` is ES2022 in the runtime-neutral packages (no DOM types): the global, typed by hand.
// Stateless, so one shared instance is not shared state.
const encoder: Encoder = new (globalThis as unknown as { TextEncoder: new () => Encoder }).TextEncoder();

/**
 * The UTF-8 bytes of `text` (lone surrogates as U+FFFD, as `TextEncoder` does).
 *
 * @example
 * ```ts
 * import { encodeUtf8 } from '@switchyard/core';
 * encodeUtf8('é'); // Uint8Array [0xc3, 0xa9]
 * ```
 */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}
