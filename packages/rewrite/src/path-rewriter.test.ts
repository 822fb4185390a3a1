import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pathNormalForm } from './internal/path-check.js';
import { compilePathRewriter } from './path-rewriter.js';

describe('compilePathRewriter', () => {
  it('renders templates with encoded params', () => {
    const r = compilePathRewriter({ type: 'Template', template: '/orders/${params.id}' });
    expect(r('/api/v2/orders/42', { id: '42' })).toBe('/orders/42');
    expect(r('/api/v2/orders/x', { id: 'a/../b' })).toBe('/orders/a%2F..%2Fb');
  });
  it('returns undefined for empty or dot-segment values', () => {
    const r = compilePathRewriter({ type: 'Template', template: '/x/${params.a}${params.b}' });
    expect(r('/', { a: '.', b: '.' })).toBeUndefined();
    expect(r('/', { a: '' })).toBeUndefined();
    expect(r('/', { a: '.', b: 'x' })).toBe('/x/.x');
  });
  it('applies prefix, full and regex rewrites', () => {
    expect(compilePathRewriter({ type: 'StripPrefix', prefix: '/v1' })('/v1/users/7')).toBe('/users/7');
    expect(compilePathRewriter({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/xyz' })('/foo/', undefined, '/foo')).toBe('/xyz/');
    expect(compilePathRewriter({ type: 'PrefixRewrite', prefixRewrite: '/', prefix: '/prefix' })('/prefix/etc')).toBe('/etc');
    expect(compilePathRewriter({ type: 'RegexRewrite', pattern: 'one', substitution: 'two' })('/one/one')).toBe('/two/two');
  });
  it('refuses templates reading anything but params', () => {
    expect(() => compilePathRewriter({ type: 'Template', template: '/x/${headers.a}' })).toThrow(/params/);
  });
  it('property - on normalized input, output is undefined or normalized', () => {
    const rewriters = [
      compilePathRewriter({ type: 'Template', template: '/a/${params.x}/${params.y}' }),
      compilePathRewriter({ type: 'Template', template: '/a/${params.x}${params.y}' }),
      compilePathRewriter({ type: 'RegexRewrite', pattern: '^/([^/]*)/?', substitution: '/\\1/../' }),
      compilePathRewriter({ type: 'PrefixRewrite', prefixRewrite: '/', prefix: '/a' }),
      compilePathRewriter({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/', prefix: '/a' }),
    ];
    const seg = fc.stringMatching(/^[a-z.]{1,3}$/).filter((s) => s !== '.' && s !== '..');
    const path = fc.tuple(fc.array(seg, { maxLength: 4 }), fc.boolean()).map(([s, t]) => `/${s.join('/')}${t && s.length ? '/' : ''}`);
    const val = fc.oneof(fc.constantFrom('', '.', '..', '/', '%2e'), fc.string({ unit: 'binary', maxLength: 4 }));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: rewriters.length - 1 }), path, val, val, (k, p, x, y) => {
        const out = rewriters[k]!(p, { x, y });
        if (out !== undefined) expect(pathNormalForm(out)).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });
});
