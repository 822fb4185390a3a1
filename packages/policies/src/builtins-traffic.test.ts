import { describe, expect, it } from 'vitest';
import type { PolicyDefinition } from '@switchyard/core';
import { BUILTIN_POLICIES } from './builtins.js';
import { corsPolicy, geoFilterPolicy, geoPolicy, ipRestrictionPolicy, requestSizeLimitPolicy, setHeadersPolicy } from './index.js';
import { deps, validate } from '../test/traffic-context.js';

const TRAFFIC: PolicyDefinition<unknown>[] = [geoPolicy, geoFilterPolicy, ipRestrictionPolicy, setHeadersPolicy, requestSizeLimitPolicy, corsPolicy];

// One valid option object per type: every built-in validates it and builds an instance of its type.
const SAMPLE: Record<string, unknown> = {
  geo: { source: 'cloudflare' },
  'geo-filter': { deny: { countries: ['KP'] } },
  'ip-restriction': { allow: ['10.0.0.0/8'] },
  'set-headers': { request: [{ name: 'x-a', value: '1' }] },
  'request-size-limit': { maxBytes: 10 },
  cors: { origins: '*' },
};

describe('BUILTIN_POLICIES - traffic policies', () => {
  it('registers each traffic built-in under its type, frozen', () => {
    expect(Object.isFrozen(BUILTIN_POLICIES)).toBe(true);
    for (const d of TRAFFIC) expect(BUILTIN_POLICIES[d.type]).toBe(d);
  });

  it.each(TRAFFIC.map((d) => [d.type, d] as const))('%s - has an option schema and a summary; builds an instance of its type, sync, with describe()', (type, d) => {
    expect(d.options).toBeDefined();
    expect(d.summary).toBeTruthy();
    const r = validate(d, SAMPLE[type]);
    expect(r.ok).toBe(true);
    const policy = d.create((r as { value: unknown }).value, deps());
    expect(policy.type).toBe(type);
    expect(policy.inbound !== undefined || policy.outbound !== undefined).toBe(true);
    expect(typeof policy.describe?.()).toBe('string');
    // Not an object: refused with a problem, never thrown.
    expect(validate(d, 'nope').ok).toBe(false);
  });

  it('two instances of one type share nothing (no module state)', () => {
    const a = ipRestrictionPolicy.create({ allow: ['10.0.0.0/8'] }, deps('a'));
    const b = ipRestrictionPolicy.create({ deny: ['10.0.0.0/8'] }, deps('b'));
    expect(a).not.toBe(b);
    expect(a.describe!()).not.toBe(b.describe!());
  });
});
