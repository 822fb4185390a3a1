import { describe, expect, it } from 'vitest';
import { queryParam, withoutQueryParam } from './query.js';

describe('query parameters', () => {
  it('queryParam - the first value of the raw name (core queryValue), form-decoded (+ is a space, percent escapes), malformed escapes kept', () => {
    expect(queryParam('a=1&k=x%2By&k=2', 'k')).toBe('x+y');
    expect(queryParam('k=a+b', 'k')).toBe('a b');
    expect(queryParam('k=%E0%A4%A', 'k')).toBe('%E0%A4%A');
    expect(queryParam('k', 'k')).toBe('');
    // Names are compared raw, as the router and the hash policies compare them.
    expect(queryParam('%6B=v', 'k')).toBeUndefined();
    expect(queryParam('%6B=v&k=w', 'k')).toBe('w');
    expect(queryParam('', 'k')).toBeUndefined();
    expect(queryParam('kk=1', 'k')).toBeUndefined();
  });

  it('withoutQueryParam - drops every occurrence, keeps the rest as sent and in order', () => {
    expect(withoutQueryParam('a=1&k=x&b=%20&k=y', 'k')).toBe('a=1&b=%20');
    expect(withoutQueryParam('k=x', 'k')).toBe('');
    expect(withoutQueryParam('a=1', 'k')).toBe('a=1');
    expect(withoutQueryParam('%6B=v&a', 'k')).toBe('a');
  });
});
