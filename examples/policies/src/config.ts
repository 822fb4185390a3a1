/**
 * The shared gateway: one config for the Express, Fastify and Hono servers of this example.
 *
 * - `cors` (a finalizer: its headers are on every answer, a 401 or a 429 included),
 * - `api-key` (consumers with tiers, the key header removed before forwarding),
 * - `rate-limit` by consumer with tiers (free 3 a minute, enterprise 1000) and a custom 429,
 * - `beta-canary`, the custom policy of `canary.ts`,
 * - `geo` from Cloudflare's `CF-IPCountry`, believed only from a trusted proxy (127.0.0.1 here),
 *   picking the `eu` backend for EU countries.
 */
import { createGateway, type Gateway, type GatewayConfig } from '@switchyard/gateway';
import { createMemoryKeyStore, EU_COUNTRIES, type KeyStore } from '@switchyard/policies';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { betaCanary } from './canary.js';

/** The demo keys (a real deployment keeps `sha256:` digests in config, never keys). */
export const KEYS = {
  free: 'demo_free_key_0001',
  enterprise: 'demo_enterprise_key_0001',
  beta: 'demo_beta_key_0001',
} as const;

/** The consumers behind {@link KEYS}. */
export function createKeyStore(): KeyStore {
  return createMemoryKeyStore([
    { id: 'free-co', tier: 'free', keys: [KEYS.free] },
    { id: 'big-co', tier: 'enterprise', keys: [KEYS.enterprise] },
    { id: 'beta-co', tier: 'enterprise', metadata: { beta: true }, keys: [KEYS.beta] },
  ]);
}

/** Upstream URLs by backend name. */
export interface Upstreams {
  readonly default: string;
  readonly eu: string;
  readonly canary: string;
}

/** The allowed browser origin. */
export const ORIGIN = 'https://app.example.com';

/** The gateway config (code config: the key store is an object). */
export function gatewayConfig(upstreams: Upstreams, store: KeyStore): GatewayConfig {
  return {
    // The TCP peer 127.0.0.1 stands for the CDN: its X-Forwarded-For and CF-IPCountry are believed.
    clientIdentity: { trustedProxies: ['127.0.0.1/32', '::1/128'] },
    policies: {
      web: { type: 'cors', options: { origins: [ORIGIN], exposeHeaders: ['retry-after'] } },
      keys: { type: 'api-key', options: { header: 'x-api-key', prefix: 'demo', store } },
      limit: {
        type: 'rate-limit',
        options: { by: 'consumer', limit: 3, windowMs: 60_000, tiers: { enterprise: { limit: 1_000 } } },
        errors: {
          responses: {
            SY_RATE_LIMITED: {
              headers: { link: '<https://example.com/pricing>; rel="payment"' },
              body: {
                error: '${code}',
                message: 'You have used your ${detail.limit} requests a minute. Retry in ${retryAfterSeconds} s, or upgrade.',
                limit: '${detail.limit}',
                retryAfterSeconds: '${retryAfterSeconds}',
                upgrade: 'https://example.com/pricing',
                requestId: '${requestId}',
              },
            },
          },
        },
      },
      canary: { type: 'beta-canary', options: { backend: 'canary', header: 'x-canary' } },
      where: { type: 'geo', options: { source: 'cloudflare', backends: [{ backend: 'eu', countries: [...EU_COUNTRIES] }] } },
    },
    routes: [
      {
        name: 'api',
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        backends: [
          { name: 'default', upstream: 'default', weight: 1 },
          { name: 'canary', upstream: 'canary', weight: 0 },
          { name: 'eu', upstream: 'eu', weight: 0 },
        ],
        policies: { inbound: ['web', 'keys', 'limit', 'canary', 'where'] },
      },
    ],
    upstreams: {
      default: { endpoints: [{ url: upstreams.default }] },
      canary: { endpoints: [{ url: upstreams.canary }] },
      eu: { endpoints: [{ url: upstreams.eu }] },
    },
  };
}

/** Builds the gateway on the undici transport. */
export function createPoliciesGateway(upstreams: Upstreams, store: KeyStore = createKeyStore()): Gateway {
  return createGateway(gatewayConfig(upstreams, store), { transport: createUndiciTransport(), policies: [betaCanary] });
}
