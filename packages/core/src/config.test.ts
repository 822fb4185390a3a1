import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, IssueCollector, formatPath } from './config.js';
import { isSwitchyardError } from './errors.js';

describe('ConfigError', () => {
  it('lists every issue, one line each, under "invalid config:"', () => {
    const e = new ConfigError([
      { path: 'routes[0].weight', message: 'must be >= 0' },
      { path: 'routes[2].backends', message: 'must not be empty' },
    ]);
    expect(e.message).toBe('invalid config:\n  routes[0].weight: must be >= 0\n  routes[2].backends: must not be empty');
    expect(e).toMatchObject({ code: 'SY_CONFIG_INVALID', status: 500, name: 'ConfigError' });
    expect(isSwitchyardError(e)).toBe(true);
  });

  it('keeps a frozen copy of the issues', () => {
    const issues = [{ path: 'a', message: 'b' }];
    const e = new ConfigError(issues);
    issues.push({ path: 'c', message: 'd' });
    expect(e.issues).toEqual([{ path: 'a', message: 'b' }]);
    expect(Object.isFrozen(e.issues)).toBe(true);
  });
});

describe('IssueCollector', () => {
  it('throws all collected issues at once, and nothing when there are none', () => {
    const c = new IssueCollector();
    expect(c.ok).toBe(true);
    expect(() => c.throwIfAny()).not.toThrow();
    c.add('x', 'bad');
    c.add('y', 'worse');
    expect(c.ok).toBe(false);
    expect(() => c.throwIfAny()).toThrow(expect.objectContaining({ issues: [{ path: 'x', message: 'bad' }, { path: 'y', message: 'worse' }] }));
  });
});

describe('formatPath', () => {
  it.each([
    [['routes', 2, 'weight'], 'routes[2].weight'],
    [[0, 'url'], '[0].url'],
    [['headers', 'x-tenant'], 'headers["x-tenant"]'],
    [['a', 'b', 'c'], 'a.b.c'],
    [['$ok', '_x1'], '$ok._x1'],
    [['1abc'], '["1abc"]'],
    [[], ''],
  ] as const)('formats %j as %s', (segments, expected) => {
    expect(formatPath(segments)).toBe(expected);
  });

  it('joins identifiers with dots and indexes with brackets', () => {
    const seg = fc.oneof(fc.stringMatching(/^[A-Za-z_$][\w$]{0,8}$/), fc.nat(1000));
    fc.assert(
      fc.property(fc.array(seg, { maxLength: 8 }), (segments) => {
        const expected = segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
        expect(formatPath(segments)).toBe(expected);
      }),
    );
  });

  it('quotes any other key so that the path stays unambiguous', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !/^[A-Za-z_$][\w$]*$/.test(s)), (key) => {
        expect(formatPath(['a', key])).toBe(`a[${JSON.stringify(key)}]`);
      }),
    );
  });
});
