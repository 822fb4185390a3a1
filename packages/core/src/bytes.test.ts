import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from './bytes.js';

describe('concatBytes', () => {
  it('joins the chunks in order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 8 }), (chunks) => {
        const total = chunks.reduce((n, c) => n + c.byteLength, 0);
        expect(Array.from(concatBytes(chunks, total))).toEqual(chunks.flatMap((c) => Array.from(c)));
      }),
    );
  });

  it('returns a single chunk as it is and no chunks as an empty array', () => {
    const only = new Uint8Array([1, 2, 3]);
    expect(concatBytes([only], 3)).toBe(only);
    expect(concatBytes([], 0).byteLength).toBe(0);
  });
});
