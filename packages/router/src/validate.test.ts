import { describe, expect, it } from 'vitest';
import { isSwitchyardError } from '@switchyard/core';
import type { ConfigError } from '@switchyard/core';
import { compileRoutes } from './index.js';
import type { CompileOptions } from './index.js';
import { exact, prefix, tpl } from './test-helpers.js';

describe('validation', () => {
  function issues(config: unknown, options: CompileOptions = {}): string[] {
    try {
      compileRoutes(config as never, options);
    } catch (e) {
      expect(isSwitchyardError(e) && e.code).toBe('SY_CONFIG_INVALID');
      return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    }
    return [];
  }

  it('reports every problem with its path', () => {
    const found = issues({
      routes: [
        { matches: [{ path: { type: 'Exact', value: 'no-slash' } }] },
        { matches: [{ path: { type: 'Bogus' } }] },
        { matches: [{ path: { type: 'RegularExpression', value: '(a+)+$' } }] },
        { matches: [{ method: 'get', headers: [{ name: 'bad name', value: 'x' }], queryParams: [{ name: '', value: 'x' }] }] },
        { matches: [{ clientCidrs: ['10.0.0.0/33'], attributes: [{ key: 'a', equals: 1, oneOf: [1] }], runtimeFraction: { percent: 120 } }] },
        { id: 'dup' },
        { id: 'dup', hostnames: ['Bad_Host'], extra: 1 },
      ],
    });
    expect(found).toEqual([
      'routes[0].matches[0].path.value: must start with "/"',
      'routes[1].matches[0].path.type: must be one of Exact, PathPrefix, Prefix, Template, RegularExpression',
      expect.stringMatching(/^routes\[2\]\.matches\[0\]\.path\.value: rejected regular expression: nested quantifier/),
      'routes[3].matches[0].method: must be an upper-case HTTP method such as GET',
      'routes[3].matches[0].headers[0].name: must be a header name (an HTTP token)',
      'routes[3].matches[0].queryParams[0].name: must be a non-empty name without "&", "=", "#" or spaces',
      'routes[4].matches[0].attributes[0]: needs exactly one of equals, oneOf, present, cidrs',
      'routes[4].matches[0].clientCidrs[0]: must be a CIDR range such as 10.0.0.0/8 or 2001:db8::/32',
      'routes[4].matches[0].runtimeFraction.percent: must be a number from 0 to 100',
      'routes[6].extra: unknown field',
      'routes[6].id: duplicate id "dup"',
      'routes[6].hostnames[0]: must be a lower-case hostname, optionally with a leading "*." wildcard label',
    ]);
  });

  it('rejects paths that are not normalized (they could never match)', () => {
    expect(issues({ routes: [{ matches: [exact('/a/../b')] }] })).toEqual(['routes[0].matches[0].path.value: is not in normalized form (would be /b), so it could never match']);
    expect(issues({ routes: [{ matches: [prefix('/a//b')] }] })[0]).toContain('must not contain "//"');
    expect(issues({ routes: [{ matches: [tpl('/a/%61/:x')] }] })[0]).toContain('not in normalized form');
  });

  it('rejects malformed templates', () => {
    expect(issues({ routes: [{ matches: [tpl('/a/*rest/b')] }] })[0]).toContain('catch-all');
    expect(issues({ routes: [{ matches: [tpl('/a/:x/:x')] }] })[0]).toContain('duplicate parameter');
    expect(issues({ routes: [{ matches: [tpl('/a/v:x')] }] })[0]).toContain('mixes literal text');
  });

  it('rejects a non-array routes field and an empty matches list', () => {
    expect(issues({})).toEqual(['routes: must be an array of routes']);
    expect(issues({ routes: [{ matches: [] }] })[0]).toContain('routes[0].matches');
  });

  it('the compiled table is frozen', () => {
    const t = compileRoutes({ routes: [{ value: { backend: 'a' } }] });
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.routes[0])).toBe(true);
  });
});
