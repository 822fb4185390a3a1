/**
 * What every contender of the proxy suite shares: the origin's body, the route, and the
 * switchyard config (routing + a limiter that never limits + least-request P2C over the origin
 * instances), so every adapter runs exactly the same gateway work.
 */
import type { GatewayConfig } from '@switchyard/gateway';

/** The body every origin instance answers with; proxies are checked against it before timing. */
export const ORIGIN_BODY = JSON.stringify({ ok: true, message: 'hello from the origin', items: [1, 2, 3, 4, 5, 6, 7, 8] });

/** The body the local apps of the decide-only group answer with (not the origin's: proves nothing proxied). */
export const LOCAL_BODY = JSON.stringify({ ok: true, message: 'hello from the app itself', items: [1, 2, 3, 4, 5, 6, 7, 8] });

/** The one route every contender serves. */
export const BENCH_PATH = '/api/users/42?fields=name';

/**
 * The gateway of the switchyard contenders: a PathPrefix route, a per-client-IP token bucket
 * with a limit far above what the run can reach (the limiter's full cost is paid, nothing is
 * refused), and least-request P2C over `origins`.
 */
export function benchGatewayConfig(origins: readonly string[], extra: { retries?: number } = {}): GatewayConfig {
  return {
    // No proxy in front: the TCP peer is the client.
    clientIdentity: { trustedProxies: [] },
    // No rate-limit headers unless a row asks (the gateway's default became `legacy`): rows stay comparable with earlier runs.
    rateLimitHeaders: 'none',
    routes: [
      {
        name: 'api',
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        backends: [{ upstream: 'origin' }],
        limits: ['per-client'],
        ...(extra.retries !== undefined ? { retry: { numRetries: extra.retries } } : {}),
      },
    ],
    upstreams: {
      origin: { endpoints: origins.map((url) => ({ url })), balancer: { policy: 'least-request' } },
    },
    limits: {
      'per-client': { key: 'client-ip', policy: { algorithm: 'token-bucket', maxTokens: 1_000_000_000, tokensPerFill: 1_000_000_000, fillIntervalMs: 1000 } },
    },
  };
}
