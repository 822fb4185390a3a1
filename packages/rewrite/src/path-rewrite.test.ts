import { describe, expect, it } from 'vitest';
import { checkRegexSafety } from '@switchyard/core';
import { compileRegexRewrite, prefixRewrite, regexRewrite, replaceFullPath, replacePrefixMatch } from './path-rewrite.js';
import type { CompiledRegexRewrite } from './path-rewrite.js';

function regex(pattern: string, substitution: string): CompiledRegexRewrite {
  const r = compileRegexRewrite(pattern, substitution);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

describe('replacePrefixMatch (Gateway API HTTPPathModifier normative table)', () => {
  it.each([
    ['/foo/bar', '/foo', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'],
    ['/foo', '/foo', '/xyz', '/xyz'],
    ['/foo/', '/foo', '/xyz', '/xyz/'],
    ['/foo/bar', '/foo', '', '/bar'],
    ['/foo/', '/foo', '', '/'],
    ['/foo', '/foo', '', '/'],
    ['/foo/', '/foo', '/', '/'],
    ['/foo', '/foo', '/', '/'],
  ])('%s with prefix %s and replacement %j gives %s', (path, prefix, replacement, expected) => {
    expect(replacePrefixMatch(path, prefix, replacement)).toBe(expected);
  });

  it('conformance HTTPRouteRewritePath - /prefix/one replaced by /one', () => {
    expect(replacePrefixMatch('/prefix/one/two', '/prefix/one', '/one')).toBe('/one/two');
    expect(replacePrefixMatch('/prefix/rewrite-path-and-modify-headers/one', '/prefix/rewrite-path-and-modify-headers', '/prefix')).toBe('/prefix/one');
  });

  it('strip-prefix with replacement / never yields // (envoyproxy/gateway #2976)', () => {
    expect(replacePrefixMatch('/strip-prefix/three', '/strip-prefix', '/')).toBe('/three');
    expect(replacePrefixMatch('/strip-prefix', '/strip-prefix', '/')).toBe('/');
    expect(replacePrefixMatch('/api/foo/public/bar', '/api/foo/public/', '/')).toBe('/bar');
  });

  it('prefix / puts the replacement in front of every path (documented choice, gateway-api #4660)', () => {
    expect(replacePrefixMatch('/foo', '/', '/xyz')).toBe('/xyz/foo');
    expect(replacePrefixMatch('/foo/', '/', '/xyz')).toBe('/xyz/foo/');
    expect(replacePrefixMatch('/foo', '/', '')).toBe('/foo');
    expect(replacePrefixMatch('/', '/', '/xyz')).toBe('/xyz/');
  });

  it('is segment-aware - /foobar is not under /foo and is left unchanged', () => {
    expect(replacePrefixMatch('/foobar', '/foo', '/xyz')).toBe('/foobar');
  });
});

describe('replaceFullPath', () => {
  it('conformance HTTPRouteRewritePath - /full/one/two becomes /one', () => {
    expect(replaceFullPath('/full/one/two', '/one')).toBe('/one');
    expect(replaceFullPath('/full/rewrite-path-and-modify-headers/test', '/test')).toBe('/test');
  });
});

describe('prefixRewrite (Envoy prefix_rewrite, string replacement)', () => {
  it('needs two routes to strip a prefix, as Envoy documents', () => {
    expect(prefixRewrite('/prefix/etc', '/prefix/', '/')).toBe('/etc');
    expect(prefixRewrite('/prefix', '/prefix', '/')).toBe('/');
  });
  it('is plain string replacement - /prefix to / leaves a double slash', () => {
    expect(prefixRewrite('/prefix/etc', '/prefix', '/')).toBe('//etc');
    expect(prefixRewrite('/v2example', '/v2', '/v3')).toBe('/v3example');
  });
  it('leaves a path that does not start with the prefix unchanged', () => {
    expect(prefixRewrite('/other', '/prefix', '/')).toBe('/other');
  });
});

describe('regex rewrite (Envoy RegexMatchAndSubstitute)', () => {
  it('swaps capture groups', () => {
    expect(regexRewrite('/service/foo/v1/api', regex('^/service/([^/]+)(/.*)$', '\\2/instance/\\1'))).toBe('/v1/api/instance/foo');
    expect(regexRewrite('/service/foo/v1/api', regex('^/service/([^/]+)(/.*)$', '/customprefix/\\2/\\1'))).toBe('/customprefix//v1/api/foo');
  });
  it('replaces every match', () => {
    expect(regexRewrite('/xxx/one/yyy/one/zzz', regex('one', 'two'))).toBe('/xxx/two/yyy/two/zzz');
  });
  it('honours a leading (?i)', () => {
    expect(regexRewrite('/aaa/XxX/bbb', regex('(?i)/xxx/', '/yyy/'))).toBe('/aaa/yyy/bbb');
  });
  it('treats $ literally and \\0 as the whole match', () => {
    expect(regexRewrite('/a', regex('a', '$1-\\0'))).toBe('/$1-a');
  });
  it('is reusable - the global regex state does not leak between calls', () => {
    const r = regex('x', 'y');
    expect(regexRewrite('/x/x', r)).toBe('/y/y');
    expect(regexRewrite('/x/x', r)).toBe('/y/y');
  });
  it('reports invalid patterns and missing groups instead of throwing', () => {
    expect(compileRegexRewrite('(', 'x')).toMatch(/^rejected regular expression: invalid regular expression/);
    expect(compileRegexRewrite('(a)', '\\2')).toMatch(/group \\2/);
    expect(compileRegexRewrite('a', '\\x')).toMatch(/backslash/);
  });
  it('regression: patterns that backtrack super-linearly are refused with the router\'s screen and wording', () => {
    // `^/(.*)/(.*)/(.*)/end$` on a 4 KB path blocked the event loop for seconds; now it never compiles.
    for (const pattern of ['^/(.*)/(.*)/(.*)/end$', '(a+)+$', '^(\\w+\\s?)*$', '(?i)(a|A)+x', '(a)\\1']) {
      const r = compileRegexRewrite(pattern, '/x');
      expect(typeof r).toBe('string');
      const source = pattern.startsWith('(?i)') ? pattern.slice(4) : pattern;
      const screen = checkRegexSafety(source, { ignoreCase: pattern.startsWith('(?i)'), search: true });
      expect(screen.kind).toBe('unsafe');
      expect(r).toBe(`rejected regular expression: ${(screen as { reason: string }).reason}`);
    }
    expect(typeof compileRegexRewrite('^/([^/]*)/([^/]*)/([^/]*)/end$', '/\\3')).toBe('object');
  });
  it('an unanchored pattern may not repeat without bound: every start position would be an attempt (quadratic)', () => {
    // `x[^/]*y` on a 16 KB path of `x`: about half a second per request before this rule.
    expect(compileRegexRewrite('x[^/]*y', 'z')).toMatch(/^rejected regular expression: an unanchored pattern with an unbounded repeat/);
    expect(compileRegexRewrite('^a|b+', 'z')).toMatch(/unanchored/);
    for (const ok of ['^/x[^/]*y', 'one', '/v[0-9]{1,4}/', '^(?:/a|/b)$', '(?i)^/API/(.*)$']) expect(typeof compileRegexRewrite(ok, 'z')).toBe('object');
  });
});
