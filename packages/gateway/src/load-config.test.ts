import { isSwitchyardError } from '@switchyard/core';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { createGateway } from './gateway.js';
import { parseGatewayConfig } from './load-config.js';

const YAML = `
selection: first-match
routes:
  - name: orders
    matches:
      - path: { type: PathPrefix, value: /api/orders }
    backends:
      - upstream: orders
    retry: { numRetries: 2 }
upstreams:
  orders:
    endpoints:
      - url: http://127.0.0.1:8081
      - url: http://127.0.0.1:8082
    balancer: { policy: peak-ewma }
`;

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    if (isSwitchyardError(err) && err.code === 'SY_CONFIG_INVALID') return [...(err as unknown as { issues: { path: string; message: string }[] }).issues];
    throw err;
  }
  return [];
}

describe('parseGatewayConfig', () => {
  it('reads YAML into a config the gateway accepts', () => {
    const config = parseGatewayConfig(YAML);
    const clock = createTestClock();
    const gateway = createGateway(config, { transport: createMockTransport({ clock }), clock });
    expect(gateway.plan().routes.map((r) => r.name)).toEqual(['orders']);
  });

  it('reads JSON too, picked automatically', () => {
    expect(parseGatewayConfig('{"routes": [], "upstreams": {}}')).toEqual({ routes: [], upstreams: {} });
  });

  it('reports YAML syntax errors with line and column, and duplicate keys', () => {
    expect(issuesOf(() => parseGatewayConfig('routes: [\n  - name: x\n'))[0]?.path).toMatch(/^\(line \d+, column \d+\)$/);
    expect(issuesOf(() => parseGatewayConfig('routes: []\nroutes: []\nupstreams: {}\n'))[0]?.message).toMatch(/invalid YAML/);
  });

  it('regression: an alias with no anchor and an alias that contains itself are ConfigErrors, not a ReferenceError or a cyclic config', () => {
    expect(issuesOf(() => parseGatewayConfig('routes: *nowhere\nupstreams: {}\n'))).toEqual([
      { path: '(document)', message: 'invalid YAML: Unresolved alias (the anchor must be set before the alias): nowhere' },
    ]);
    expect(issuesOf(() => parseGatewayConfig('routes: &r [*r]\nupstreams: {}\n'))).toEqual([{ path: 'routes[0]', message: 'invalid YAML: an alias refers to a node that contains it (a cycle)' }]);
    // A shared (non-cyclic) alias is fine.
    expect(parseGatewayConfig('a: &x { n: 1 }\nb: *x\n')).toEqual({ a: { n: 1 }, b: { n: 1 } });
  });

  it('a YAML document with a semantic error is rejected by path', () => {
    const broken = YAML.replace('- upstream: orders', '- upstream: order');
    const issues = issuesOf(() => createGateway(parseGatewayConfig(broken), { transport: createMockTransport({ clock: createTestClock() }) }));
    expect(issues).toContainEqual({ path: 'routes[0].backends[0].upstream', message: 'unknown upstream "order"' });
  });
});
