import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizePath } from './index.js';

const ok = (p: string, o = {}) => {
  const r = normalizePath(p, o);
  return r.kind === 'ok' ? r.path : `!${r.reason}`;
};

describe('normalizePath', () => {
  it.each([
    ['/admin', '/admin'],
    ['/%61dmin', '/admin'],
    ['//admin', '/admin'],
    ['/a///b//', '/a/b/'],
    ['/public/../admin', '/admin'],
    ['/a/./b/.', '/a/b/'],
    ['/a/b/..', '/a/'],
    ['/../../a', '/a'],
    ['/%2e%2E/a', '/a'],
    ['/a%2fb', '!encoded slash or backslash (%2F, %5C) in path'],
    ['/a%20b%3f', '/a%20b%3F'],
    ['/%7euser', '/~user'],
    ['/.well-known/x', '/.well-known/x'],
    ['/', '/'],
  ])('%s → %s', (input, expected) => {
    expect(ok(input).startsWith('!') ? ok(input) : ok(input)).toBe(expected);
  });

  it('rejects what cannot be normalized safely', () => {
    for (const p of ['', 'a', '*', '/a%', '/a%g1', '/a\\b', '/a\tb', '/a b', '/a\u007fb', '/a#b', '/a#', '/#']) expect(normalizePath(p).kind).toBe('invalid');
    expect(normalizePath('/admin#x')).toEqual({ kind: 'invalid', reason: "fragment ('#') in request path at offset 6" });
    expect(normalizePath('/admin%23x')).toEqual({ kind: 'ok', path: '/admin%23x' });
  });

  it('options: keep or decode escaped slashes, no merge, no dot resolution', () => {
    expect(ok('/a%2fb%5c', { escapedSlashes: 'keep' })).toBe('/a%2Fb%5C');
    expect(ok('/a%2F..%2Fb\\c', { escapedSlashes: 'decode' })).toBe('/b/c');
    expect(ok('/a//b', { mergeSlashes: false })).toBe('/a//b');
    expect(ok('/a/../b', { resolveDotSegments: false })).toBe('/a/../b');
  });

  it('returns the input itself when there is nothing to do', () => {
    const p = '/very/deeply/nested/route';
    const r = normalizePath(p);
    expect(r.kind === 'ok' && r.path).toBe(p);
  });

  it('property: normalization is idempotent, for every option set', () => {
    const segment = fc.oneof(
      fc.constantFrom('', '.', '..', '%2e', '%2E%2e', '%2F', '%5c', 'a', 'B', '%61', '%7E', '%20', '\\', '.x'),
      fc.stringMatching(/^[A-Za-z0-9._~%-]{0,6}$/),
    );
    const path = fc.array(segment, { maxLength: 8 }).map((s) => `/${s.join('/')}`);
    const options = fc.record({
      escapedSlashes: fc.constantFrom('reject', 'keep', 'decode') as fc.Arbitrary<'reject' | 'keep' | 'decode'>,
      mergeSlashes: fc.boolean(),
      resolveDotSegments: fc.boolean(),
    });
    fc.assert(
      fc.property(path, options, (p, o) => {
        const once = normalizePath(p, o);
        if (once.kind === 'invalid') return;
        expect(normalizePath(once.path, o)).toEqual(once);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: with the defaults the result never has a dot segment, "//", or an encoded unreserved character', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const r = normalizePath(`/${s}`);
        if (r.kind === 'invalid') return;
        expect(r.path).not.toMatch(/\/\.\.?(\/|$)|\/\/|%(?:[46][1-9A-F]|[57][0-9A]|3[0-9]|2D|2E|5F|7E)/i);
      }),
      { numRuns: 2000 },
    );
  });
});
