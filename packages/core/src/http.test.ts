import { describe, expect, it } from 'vitest';
import { isIdempotentMethod } from './http.js';

describe('isIdempotentMethod', () => {
  it('is true for exactly the RFC 9110 idempotent methods', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'].every(isIdempotentMethod)).toBe(true);
    expect(['POST', 'PATCH', 'CONNECT', 'get'].some(isIdempotentMethod)).toBe(false);
  });
});
