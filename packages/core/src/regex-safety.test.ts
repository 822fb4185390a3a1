import { describe, expect, it } from 'vitest';
import { checkRegexSafety } from './index.js';

// The full rule set is tested where it started, in @switchyard/router's regex-safety.test.ts
// (the router re-exports this function); here: the `search` rule the rewriter needs.
describe('checkRegexSafety - search', () => {
  it('refuses an unbounded repeat in a pattern searched for without a leading ^', () => {
    for (const p of ['x[^/]*y', 'a+', '/v[0-9]+/', '^a|b*', '(ab){2,}']) {
      expect(checkRegexSafety(p, { search: true }).kind, p).toBe('unsafe');
      expect(checkRegexSafety(p).kind, p).toBe('safe');
    }
  });
  it('accepts anchored patterns and bounded repeats', () => {
    for (const p of ['^x[^/]*y', '^(?:a|b)+$', 'one', '/v[0-9]{1,3}/', 'a?b']) expect(checkRegexSafety(p, { search: true }).kind, p).toBe('safe');
  });
  it('keeps the other rules first: a nested quantifier is reported as such', () => {
    expect(checkRegexSafety('(a+)+$', { search: true })).toMatchObject({ kind: 'unsafe', reason: expect.stringMatching(/^nested quantifier/) });
  });
});
