import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from './config.js';
import { createEndpoint } from './endpoint.js';

describe('createEndpoint', () => {
  it('fills defaults: id = origin, weight 1, priority 0, empty locality and metadata; frozen', () => {
    const e = createEndpoint({ url: 'http://127.0.0.1:8080' });
    expect(e).toEqual({ id: 'http://127.0.0.1:8080', url: 'http://127.0.0.1:8080', weight: 1, priority: 0, locality: {}, metadata: {} });
    expect(Object.isFrozen(e) && Object.isFrozen(e.locality) && Object.isFrozen(e.metadata)).toBe(true);
  });

  it('normalises the origin: lower-case host, trailing slash dropped, IPv6 literals kept', () => {
    expect(createEndpoint({ url: 'https://API.Example.com/' }).url).toBe('https://api.example.com');
    expect(createEndpoint({ url: 'http://[2001:DB8::1]:9000' }).url).toBe('http://[2001:db8::1]:9000');
  });

  it('copies metadata and locality, so later mutation of the input does not leak in', () => {
    const metadata: Record<string, string> = { version: 'v1' };
    const e = createEndpoint({ id: 'a', url: 'http://a:1', metadata, locality: { region: 'eu', zone: 'eu-1a' }, weight: 5, priority: 2 });
    metadata['version'] = 'v2';
    expect(e).toMatchObject({ id: 'a', weight: 5, priority: 2, metadata: { version: 'v1' }, locality: { region: 'eu', zone: 'eu-1a' } });
  });

  it.each([
    ['http://h/path'],
    ['http://h?x=1'],
    ['http://user@h'],
    ['ftp://h'],
    ['h:80'],
    ['http://h:65536'],
    ['http://'],
    ['http://h h'],
  ])('rejects the url %j with its path', (url) => {
    expect(() => createEndpoint({ url }, 'backends[3]')).toThrow(
      expect.objectContaining({ code: 'SY_CONFIG_INVALID', issues: expect.arrayContaining([expect.objectContaining({ path: 'backends[3].url' })]) }),
    );
  });

  it('reports every problem with its path, into a caller-supplied list without throwing', () => {
    const issues: ConfigIssue[] = [{ path: 'earlier', message: 'kept' }];
    createEndpoint({ id: '', url: 'http://ok:1', weight: 0, priority: -1 }, 'routes[0].backends[1]', issues);
    expect(issues).toEqual([
      { path: 'earlier', message: 'kept' },
      { path: 'routes[0].backends[1].weight', message: 'must be an integer >= 1' },
      { path: 'routes[0].backends[1].priority', message: 'must be an integer >= 0' },
      { path: 'routes[0].backends[1].id', message: 'must be a non-empty string' },
    ]);
  });

  it('throws one ConfigError listing all problems when no list is given', () => {
    try {
      createEndpoint({ url: 'http://ok:1', weight: 1.5, priority: 0.5 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).message).toBe('invalid config:\n  endpoint.weight: must be an integer >= 1\n  endpoint.priority: must be an integer >= 0');
    }
  });

  it('reports a missing url as a url problem', () => {
    const issues: ConfigIssue[] = [];
    createEndpoint({ url: undefined as unknown as string, id: 'x' }, 'e', issues);
    expect(issues).toEqual([{ path: 'e.url', message: 'must be a URL string' }]);
  });
});

describe('createEndpoint regressions', () => {
  it('checks the port instead of reading host:port as one host name (http://h:65536 was accepted)', () => {
    expect(() => createEndpoint({ url: 'http://h:abc' })).toThrow(ConfigError);
    expect(createEndpoint({ url: 'http://h:65535' }).url).toBe('http://h:65535');
  });
});
