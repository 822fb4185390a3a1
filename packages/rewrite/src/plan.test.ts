import { describe, expect, it } from 'vitest';
import * as rewrite from './index.js';
import { planInternals } from './plan.js';

describe('RewritePlan keeps its internals behind a symbol', () => {
  it('shows one public field; the compiled rule is reachable only through the package-private accessor', () => {
    const plan = rewrite.compileRewrite({ path: { type: 'StripPrefix', prefix: '/v1' }, requestHeaders: { remove: ['x-secret'] } });
    expect(Object.keys(plan)).toEqual(['idempotent']);
    expect(Object.getOwnPropertySymbols(plan)).toHaveLength(1);
    expect(Object.isFrozen(plan)).toBe(true);
    const p = planInternals(plan);
    expect(Object.isFrozen(p)).toBe(true);
    expect(p.path.kind).toBe('prefix-match');
    expect(p.requestHeaders.remove.has('x-secret')).toBe(true);
  });

  it('the package entry does not export the key or the accessor', () => {
    expect(Object.keys(rewrite)).not.toContain('PLAN');
    expect(Object.keys(rewrite)).not.toContain('planInternals');
  });
});

describe('pathNormalForm (was normalizePath)', () => {
  it('keeps the old name as the same function', () => {
    expect(rewrite.normalizePath).toBe(rewrite.pathNormalForm);
    expect(rewrite.pathNormalForm('/a//b/./c/../%7euser/%2f')).toBe('/a/b/~user/%2F');
    expect(rewrite.pathNormalForm('a/b')).toBeNull();
  });
});
