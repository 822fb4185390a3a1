/**
 * Regression tests for issue #17's edge items at the gateway level: regex rewrites screened
 * like route regexes, forwarded headers trusted only from trusted proxies, hop-by-hop response
 * headers named by the upstream's `Connection`, and invalid Host values.
 */
import { ConfigError } from '@switchyard/core';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { createGateway, type GatewayConfig } from './index.js';

function configIssues(config: GatewayConfig): { path: string; message: string }[] {
  try {
    createGateway(config, { transport: createMockTransport({ clock: createTestClock() }), clock: createTestClock() });
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => ({ path: i.path, message: i.message }));
    throw e;
  }
  return [];
}

describe('config authors: regex safety', () => {
  it('regression: a rewrite regex that backtracks super-linearly is a ConfigError, worded as the route regex screen words it', () => {
    // `^/(.*)/(.*)/(.*)/end$` on a 4 KB path held the event loop for seconds on every request.
    const pattern = '^/(.*)/(.*)/(.*)/end$';
    const upstreams = { u: { endpoints: [{ url: 'http://127.0.0.1:9' }] } };
    const issues = configIssues({
      routes: [
        { name: 'rw', matches: [{ path: { type: 'PathPrefix', value: '/rw' } }], backends: [{ upstream: 'u' }], rewrite: { path: { type: 'RegexRewrite', pattern, substitution: '/\\1' } } },
        { name: 'ok', matches: [{ path: { type: 'PathPrefix', value: '/ok' } }], backends: [{ upstream: 'u' }] },
        { name: 'bomb', matches: [{ path: { type: 'PathPrefix', value: '/b' } }], backends: [{ upstream: 'u' }], rewrite: { path: { type: 'RegexRewrite', pattern: '(a+)+$', substitution: 'x' } } },
      ],
      upstreams,
    } as GatewayConfig);
    // The same pattern as a route regex (the router's screen, reported in its own pass).
    const routeIssues = configIssues({
      routes: [
        { name: 'rw', matches: [{ path: { type: 'PathPrefix', value: '/rw' } }], backends: [{ upstream: 'u' }] },
        { name: 're', matches: [{ path: { type: 'RegularExpression', value: pattern } }], backends: [{ upstream: 'u' }] },
      ],
      upstreams,
    } as GatewayConfig);
    const rewrite = issues.find((i) => i.path === 'routes[0].rewrite.path.pattern');
    const route = routeIssues.find((i) => i.path === 'routes[1].matches[0].path.value');
    expect(rewrite?.message).toMatch(/^rejected regular expression: overlapping adjacent/);
    expect(rewrite?.message).toBe(route?.message);
    expect(issues.find((i) => i.path === 'routes[2].rewrite.path.pattern')?.message).toMatch(/^rejected regular expression: nested quantifier/);
  });
});
