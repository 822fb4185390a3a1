/**
 * The one binding between a gateway and a Node `'upgrade'` dispatcher, shared by the Express,
 * Fastify and Hono (`@hono/node-server`) adapters: each of them only finds the Node server and
 * hands `@switchyard/transport-undici`'s `attachUpgrade(server, nodeUpgradeBinding(gateway,
 * options))` to it. Before this file the Express and Fastify adapters each carried a copy
 * (issue #24, "the adapters share one upgrade helper").
 *
 * Typed structurally (like `bridge/node.ts`), so the gateway stays free of Node types and of
 * the transport package: the returned object has the shape of the transport's
 * `AttachUpgradeOptions`.
 */
import type { SwitchyardErrorCode, SyRequest, SyResponse } from '@switchyard/core';
import type { Acquired, Gateway } from '../gateway.js';
import { fromNodeRequest, type NodeRequestLike } from './node.js';

/** Options of {@link nodeUpgradeBinding}: what a user passes to an adapter's `attachUpgrade`. */
export interface NodeUpgradeOptions<Req extends NodeRequestLike = NodeRequestLike> {
  /** Request attributes for routing, limits and splits (an upgrade request has no framework request object). */
  readonly attributes?: ((req: Req) => Readonly<Record<string, unknown>>) | undefined;
  /** `'https'` when TLS terminates in front of Node (default: from the socket). */
  readonly scheme?: 'http' | 'https' | undefined;
  /** Told about failed upgrades (upstream refused, reset, timed out); the client has already been answered. */
  readonly onError?: ((error: unknown, req: Req) => void) | undefined;
  /** The gateway's monotonic clock, if it is not the system clock (outcomes are timed with it). */
  readonly now?: (() => number) | undefined;
  /** How long an upstream has to answer the handshake before the client gets a 504. Default 10 000. */
  readonly handshakeTimeoutMs?: number | undefined;
}

/** The part of a {@link Gateway} an upgrade dispatcher uses. */
export type UpgradeGateway = Pick<Gateway, 'acquire'> & Partial<Pick<Gateway, 'errorResponse'>>;

/** What {@link nodeUpgradeBinding} returns: the options of `@switchyard/transport-undici`'s `attachUpgrade`. */
export interface NodeUpgradeBinding<Req extends NodeRequestLike = NodeRequestLike> {
  readonly acquire: (request: SyRequest) => Promise<Acquired>;
  readonly toRequest: (req: Req) => SyRequest;
  readonly onError: ((error: unknown, req: Req) => void) | undefined;
  readonly errorResponse: ((code: SwitchyardErrorCode, request: SyRequest | undefined, options: { readonly message: string; readonly status: number }) => SyResponse) | undefined;
  readonly now: (() => number) | undefined;
  readonly handshakeTimeoutMs: number | undefined;
}

/**
 * Binds `gateway` to a Node upgrade dispatcher: upgrades are converted with
 * {@link fromNodeRequest} (the same target splitting and client address as the HTTP path),
 * routed, limited, split and rewritten by `gateway.acquire`, and the dispatcher's own refusals
 * (400, 500, 502, 504) go through the gateway's error formatter like every gateway-made answer.
 *
 * When to use: writing an adapter for a Node-server framework; users call their adapter's
 * `attachUpgrade(server, gateway)`, which is this plus the transport's dispatcher.
 *
 * @example
 * ```ts
 * import { createGateway, nodeUpgradeBinding } from '@switchyard/gateway';
 * import { attachUpgrade, createUndiciTransport } from '@switchyard/transport-undici';
 *
 * const gateway = createGateway(config, { transport: createUndiciTransport() });
 * // `server`: the framework's Node HTTP server (Express's `app.listen()`, `fastify.server`, …).
 * attachUpgrade(server, nodeUpgradeBinding(gateway, { handshakeTimeoutMs: 5_000 }));
 * ```
 */
export function nodeUpgradeBinding<Req extends NodeRequestLike>(gateway: UpgradeGateway, options: NodeUpgradeOptions<Req> = {}): NodeUpgradeBinding<Req> {
  const { attributes, scheme } = options;
  return {
    acquire: (request) => gateway.acquire(request),
    toRequest: (req) => fromNodeRequest(req, { ...(attributes !== undefined ? { attributes: attributes(req) } : {}), ...(scheme !== undefined ? { scheme } : {}) }),
    onError: options.onError,
    errorResponse: gateway.errorResponse?.bind(gateway),
    now: options.now,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
  };
}
