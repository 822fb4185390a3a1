import { describe, expect, it } from 'vitest';
import { BUILTIN_POLICIES, anyAuth, apiKey, rateLimit } from './index.js';

describe('BUILTIN_POLICIES', () => {
  it('registers the auth and limit built-ins under their type names, frozen', () => {
    expect(BUILTIN_POLICIES['api-key']).toBe(apiKey);
    expect(BUILTIN_POLICIES['any-auth']).toBe(anyAuth);
    expect(BUILTIN_POLICIES['rate-limit']).toBe(rateLimit);
    expect(Object.isFrozen(BUILTIN_POLICIES)).toBe(true);
    for (const [type, def] of Object.entries(BUILTIN_POLICIES)) {
      expect(def.type).toBe(type);
      expect(def.options?.['~standard'].version).toBe(1);
    }
  });
});
