import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyedLimiter } from './keyed-limiter.js';
import { tokenBucket } from './policy.js';
import { MAX_KEY_LENGTH, storageKey } from './storage-key.js';

// Reference digests computed with Node's crypto: '#' + base64url(SHA-256(UTF-8 key)[0..20]).
const VECTORS: Array<[string, string]> = [
  ['#', '#M0NZuQ7-112l8K2h1eayVvSmvQo'],
  ['#203.0.113.7', '#_j-V4ViEGb9piT-whgAu3WcSAFo'],
  ['a'.repeat(65), '#Y1NhxIu56rFBmOduqKt_GkFoXWo'],
  ['k'.repeat(8192), '#PqA9C-OQETQa_B1zXuT680Ruz_4'],
  ['josé'.repeat(20), '#NPxbleQjz8wMeIgB965hWNknPZ0'],
  ['😀'.repeat(40), '#K63SxaIYyCLt9Cj5jWVD5tf8qjU'],
];

describe('storageKey', () => {
  it('keeps keys of up to 64 characters that do not start with # as they are', () => {
    for (const k of ['', '203.0.113.7/32', '2001:db8:0:100::/56', 'user:550e8400-e29b-41d4-a716-446655440000', 'x'.repeat(MAX_KEY_LENGTH)]) expect(storageKey(k)).toBe(k);
  });

  it('replaces longer keys and keys starting with # by # + 160 bits of SHA-256 in base64url (reference vectors)', () => {
    for (const [key, digest] of VECTORS) expect(storageKey(key)).toBe(digest);
  });

  it('stored keys are at most 64 characters, and a stored digest is never the stored form of another key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), (a, b) => {
        const sa = storageKey(a);
        expect(sa.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
        if (a !== b) expect(sa).not.toBe(storageKey(b));
        // Feeding a digest back in digests it again: no key can name another's digest bucket.
        if (sa !== a) expect(storageKey(sa)).not.toBe(sa);
      }),
      { numRuns: 500 },
    );
  });

  it('two strings differing only in lone surrogates get different digests (WTF-8, not U+FFFD)', () => {
    expect(storageKey('\ud800'.repeat(70))).not.toBe(storageKey('\udc00'.repeat(70)));
    expect(storageKey('\ud800'.repeat(70))).not.toBe(storageKey('\ufffd'.repeat(70)));
  });
});

describe('createKeyedLimiter - key size', () => {
  const policy = tokenBucket({ maxTokens: 2, tokensPerFill: 1, fillIntervalMs: 60_000 });

  it('applies the same threshold as storageKey (keyed-limiter.ts inlines 64)', () => {
    expect(MAX_KEY_LENGTH).toBe(64);
    const limiter = createKeyedLimiter({ policy });
    const at = 'x'.repeat(64);
    const over = 'x'.repeat(65);
    limiter.take(at, 0);
    limiter.take(over, 0);
    // Each key's bucket is the one its stored form names: deleting by either form finds it.
    expect(limiter.delete(storageKey(at))).toBe(true);
    expect(limiter.take(over, 0).remaining).toBe(0);
  });

  it('counts a long key under its digest: its own bucket, shared with no other key, deletable', () => {
    const limiter = createKeyedLimiter({ policy });
    const long = 'k'.repeat(8192);
    const other = 'k'.repeat(8191) + 'j';
    expect(limiter.take(long, 0).remaining).toBe(1);
    // A fresh string with the same content is the same bucket (the fast path keeps the raw key).
    expect(limiter.take(['k'.repeat(4096), 'k'.repeat(4096)].join(''), 0).remaining).toBe(0);
    expect(limiter.take(other, 0).remaining).toBe(1);
    // The digest itself, sent as a key, is digested again: not the long key's bucket.
    expect(limiter.take(storageKey(long), 0).remaining).toBe(1);
    expect(limiter.size).toBe(3);
    expect(limiter.delete(long)).toBe(true);
    expect(limiter.take(long, 0).remaining).toBe(1);
  });
});
