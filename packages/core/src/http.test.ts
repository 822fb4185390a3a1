import { describe, expect, it } from 'vitest';
import { isIdempotentMethod, removeConnectionOptions } from './http.js';

describe('isIdempotentMethod', () => {
  it('is true for exactly the RFC 9110 idempotent methods', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'].every(isIdempotentMethod)).toBe(true);
    expect(['POST', 'PATCH', 'CONNECT', 'get'].some(isIdempotentMethod)).toBe(false);
  });
});

describe('removeConnectionOptions', () => {
  it('removes the fields a Connection value names, case-insensitively, in place (RFC 9110 §7.6.1)', () => {
    const h: Record<string, string> = { 'x-secret': '1', 'x-b': '2', 'content-type': 'text/plain' };
    expect(removeConnectionOptions(h, 'close, X-Secret,,x-b ')).toBe(h);
    expect(h).toEqual({ 'content-type': 'text/plain' });
    expect(removeConnectionOptions({ a: '1' }, ['keep-alive', 'a'])).toEqual({});
    expect(removeConnectionOptions({ a: '1', close: 'x' }, 'keep-alive')).toEqual({ a: '1', close: 'x' });
    expect(removeConnectionOptions({ a: '1' }, '__proto__, toString')).toEqual({ a: '1' });
  });
});
