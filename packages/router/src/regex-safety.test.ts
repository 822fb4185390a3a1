import { describe, expect, it } from 'vitest';
import { checkRegexSafety as coreCheckRegexSafety } from '@switchyard/core';
import { checkRegexSafety, compileRoutes, match } from './index.js';

describe('checkRegexSafety', () => {
  it('is core\'s screen, re-exported (the rewriter screens with the same function)', () => {
    expect(checkRegexSafety).toBe(coreCheckRegexSafety);
  });

  it.each([
    ['(a+)+$', 'nested quantifier'],
    ['(a*)*b', 'nested quantifier'],
    ['^(\\w+\\s?)*$', 'nested quantifier'],
    ['(x+x+)+y', 'overlapping adjacent'],
    ['(.*a){12}', 'nested quantifier'],
    ['^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$', 'nested quantifier'],
    ['(a|aa)+', 'nested quantifier'],
    ['(a|a)*', 'ambiguous alternation'],
    ['(\\w|\\d)+x', 'ambiguous alternation'],
    ['(a?)+', 'nested quantifier'],
    ['.*.*=.*', 'overlapping adjacent'],
    ['\\d+\\d+x', 'overlapping adjacent'],
    ['.*a.*b', 'overlapping adjacent'],
    ['[a-z]+\\d*[a-z]+!', 'overlapping adjacent'],
    ['(a)\\1', 'backreferences'],
    ['(?<x>a)\\k<x>', 'backreferences'],
    ['a(?=b)', 'lookaround'],
    ['(?<!a)b', 'lookaround'],
    ['(', 'invalid regular expression'],
  ])('rejects %s (%s)', (source, reason) => {
    const r = checkRegexSafety(source);
    expect(r.kind).toBe('unsafe');
    expect(r.kind === 'unsafe' && r.reason).toContain(reason);
  });

  it.each(['/users/[0-9]+', '/api/v[12]/[^/]+/items', '\\d+-\\d+', '[^/]+/[^/]+\\.json', '(ab|cd)+', '/files/.*', '/img/[a-z]+\\.(png|jpg)', 'a{2,5}b'])(
    'accepts %s',
    (source) => {
      expect(checkRegexSafety(source)).toEqual({ kind: 'safe' });
    },
  );

  it('case folding is taken into account', () => {
    expect(checkRegexSafety('(a|A)+', { ignoreCase: true }).kind).toBe('unsafe');
    expect(checkRegexSafety('(a|A)+').kind).toBe('safe');
  });

  it('accepted patterns give correct results on long hostile inputs', () => {
    // Each pair: a pattern that passes the screen, and an adversarial near-miss input.
    const cases: [string, string, boolean][] = [
      ['/files/.*', `/files/${'a'.repeat(50_000)}`, true],
      ['/api/v[12]/[^/]+/items', `/api/v1/${'x'.repeat(50_000)}/item`, false],
      ['(ab|cd)+', `${'ab'.repeat(25_000)}c`, false],
      ['\\d+-\\d+', `${'1'.repeat(50_000)}-`, false],
      ['[^/]+/[^/]+\\.json', `${'a'.repeat(25_000)}/${'b'.repeat(25_000)}.jso`, false],
    ];
    for (const [source, input, expected] of cases) {
      expect(checkRegexSafety(source).kind).toBe('safe');
      expect(new RegExp(`^(?:${source})$`).test(input)).toBe(expected);
    }
  });

  it('the router refuses classic ReDoS patterns in paths, headers and query params', () => {
    expect(() => compileRoutes({ routes: [{ matches: [{ path: { type: 'RegularExpression', value: '/(a+)+' } }] }] })).toThrow(/nested quantifier/);
    expect(() => compileRoutes({ routes: [{ matches: [{ headers: [{ name: 'x', type: 'RegularExpression', value: '(a|aa)*' }] }] }] })).toThrow(/headers\[0\]\.value/);
    expect(() => compileRoutes({ routes: [{ matches: [{ queryParams: [{ name: 'q', type: 'RegularExpression', value: '(.*)*' }] }] }] })).toThrow(/queryParams\[0\]\.value/);
  });

  it('a safe header regex stays correct against a hostile 100 kB header', () => {
    const t = compileRoutes({ routes: [{ matches: [{ headers: [{ name: 'x', type: 'RegularExpression', value: '[a-z]+-[0-9]+' }] }] }] });
    expect(match(t, { method: 'GET', path: '/', headers: { x: `${'a'.repeat(100_000)}-` } }).kind).toBe('no-route');
    expect(match(t, { method: 'GET', path: '/', headers: { x: `${'a'.repeat(100_000)}-1` } }).kind).toBe('matched');
  });
});
