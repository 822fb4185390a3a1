/**
 * WebSocket upgrades for an Express app: one dispatcher on the `http.Server` that
 * `app.listen()` returns, routing, limiting and balancing each upgrade through the same gateway
 * as the middleware. Express itself never sees upgrade requests (Node emits `'upgrade'` on the
 * server, not a request), so this is wired on the server, not with `app.use()`.
 */
import type { IncomingMessage } from 'node:http';
import { fromNodeRequest, type Gateway } from '@switchyard/gateway';
import { attachUpgrade as attachUpgradeDispatcher, type UpgradeDispatcher, type UpgradeServerLike } from '@switchyard/transport-undici';

export type { UpgradeDispatcher };

/** Options of {@link attachUpgrade}. */
export interface SwitchyardUpgradeOptions {
  /** Request attributes for routing, limits and splits (the upgrade request has no Express `req`). */
  readonly attributes?: ((req: IncomingMessage) => Readonly<Record<string, unknown>>) | undefined;
  /** `'https'` when TLS terminates in front of Node (default: from the socket). */
  readonly scheme?: 'http' | 'https' | undefined;
  /** Told about failed upgrades (upstream refused, reset, timed out); the client has already been answered. */
  readonly onError?: ((error: unknown, req: IncomingMessage) => void) | undefined;
  /** The gateway's monotonic clock, if it is not the system clock (outcomes are timed with it). */
  readonly now?: (() => number) | undefined;
  /** How long an upstream has to answer the handshake before the client gets a 504. Default 10 000. */
  readonly handshakeTimeoutMs?: number | undefined;
}

/**
 * Proxies WebSocket upgrades arriving on `server` through `gateway`: the route's limits, split
 * and balancer apply to each connection (least-request counts it in flight until it closes);
 * an unmatched path gets 404, a limited one 429, no healthy endpoint 503, an unreachable
 * upstream 502. Call once per server (a second call throws); returns a dispatcher with
 * `detach()`.
 *
 * When to use: an Express app that should proxy WebSocket routes next to its HTTP routes.
 *
 * Gotchas: Express's `trust proxy` does not apply (there is no Express request): the client
 * address is the socket's, configure `clientIdentity.trustedProxies` in the gateway if a proxy
 * sits in front. The dispatcher owns every upgrade on `server`: do not attach a `ws` server to
 * the same `server` as well. No retries, mirroring or per-message inspection.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createGateway } from '@switchyard/gateway';
 * import { createUndiciTransport } from '@switchyard/transport-undici';
 * import { attachUpgrade, switchyard } from '@switchyard/express';
 *
 * const gateway = createGateway(config, { transport: createUndiciTransport() });
 * const app = express();
 * app.use(switchyard({ gateway }));
 * const server = app.listen(8080);
 * attachUpgrade(server, gateway);
 * ```
 */
export function attachUpgrade(server: UpgradeServerLike, gateway: Pick<Gateway, 'acquire'> & Partial<Pick<Gateway, 'errorResponse'>>, options: SwitchyardUpgradeOptions = {}): UpgradeDispatcher {
  const { attributes, scheme } = options;
  return attachUpgradeDispatcher(server, {
    acquire: (request) => gateway.acquire(request),
    toRequest: (req) => fromNodeRequest(req, { ...(attributes !== undefined ? { attributes: attributes(req) } : {}), ...(scheme !== undefined ? { scheme } : {}) }),
    onError: options.onError,
    // The dispatcher's own 400/500/502/504 go through the gateway's error formatter.
    errorResponse: gateway.errorResponse?.bind(gateway),
    now: options.now,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
  });
}
