/**
 * `switchyard` for Fastify 5: a plugin (built with `fastify-plugin`) that decorates the instance
 * with the gateway (`fastify.switchyard`) and each request with its decision
 * (`request.switchyard`), in proxy mode (a catch-all route in its own encapsulated context, so
 * it sees the raw body stream and your routes keep precedence) or decide mode (an `onRequest`
 * hook, applied to the scope the plugin is registered in and its children only). No traffic
 * logic: the gateway decides and forwards; the Node bridge streams and writes.
 */
import type { SyRequest, SyResponse } from '@switchyard/core';
import { isNoRoute, clientAbortSignal, fromNodeRequest, nodeHeaders, nodePeerAddress, writeNodeResponse, type Decision, type Gateway } from '@switchyard/gateway';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** The decision of decide mode, as stored on `request.switchyard`. */
export type SwitchyardDecision = Extract<Decision, { kind: 'continue' }>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The gateway the switchyard plugin was registered with. */
    switchyard: Gateway;
  }
  interface FastifyRequest {
    /** The gateway's decision (decide mode), `null` elsewhere. */
    switchyard: SwitchyardDecision | null;
  }
}

/** Options of the plugin. */
export interface SwitchyardFastifyOptions {
  /** The gateway (from `createGateway`), built once at start-up. */
  readonly gateway: Gateway;
  /**
   * `'proxy'` (default): a catch-all route answers from the upstream. `'decide'`: an `onRequest`
   * hook applies limits, routing attributes and experiment assignment, sets
   * `request.switchyard` and the response headers, and answers 429/redirect/fault itself.
   */
  readonly mode?: 'proxy' | 'decide';
  /** No gateway route matches: `'next'` (default) → Fastify's not-found handler (proxy) or your route (decide); `'respond'` → 404 `SY_NO_ROUTE`. */
  readonly notFound?: 'next' | 'respond';
  /** Proxy mode: the catch-all's path (default `'/*'`); your own routes always win over it. */
  readonly path?: string;
  /**
   * Client address: `'fastify'` (default) is `request.ip`, i.e. Fastify's `trustProxy`;
   * `'socket'` is the TCP peer (configure the gateway's `clientIdentity` instead). Not both.
   */
  readonly clientAddress?: 'fastify' | 'socket' | ((request: FastifyRequest) => string | undefined);
  /** Request attributes for routing, limits and splits. */
  readonly attributes?: (request: FastifyRequest) => Readonly<Record<string, unknown>>;
}

/** The gateway's own "no route" answer (a typed brand, not a body check): re-exported for convenience. */
export { isNoRoute };

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

const plugin: FastifyPluginAsync<SwitchyardFastifyOptions> = async (fastify, options) => {
  const { gateway } = options;
  const fallThrough = (options.notFound ?? 'next') === 'next';
  const address = options.clientAddress ?? 'fastify';
  // find-my-way's `useSemicolonDelimiter` ends the path at `;` too: the gateway must split alike,
  // or `/admin;x` would run the `/admin` handler after a decision about `/admin;x`. Read from the
  // descriptor: the top-level property's getter warns (FSTDEP022).
  const initial = fastify.initialConfig as { readonly routerOptions?: { readonly useSemicolonDelimiter?: boolean } };
  const semicolonDelimiter = (initial.routerOptions?.useSemicolonDelimiter ?? Object.getOwnPropertyDescriptor(initial, 'useSemicolonDelimiter')?.value) === true;
  const toRequest = (request: FastifyRequest): SyRequest => {
    const raw = request.raw;
    // Without X-Forwarded-For, `request.ip` is the TCP peer whatever `trustProxy` says (Fastify's
    // proxy-addr reads only that header): the per-connection answer serves.
    const clientAddress =
      address === 'fastify' ? (raw.headers['x-forwarded-for'] ? request.ip : nodePeerAddress(raw.socket)) : address === 'socket' ? nodePeerAddress(raw.socket) : address(request);
    return fromNodeRequest(raw, { attributes: options.attributes?.(request), clientAddress, semicolonDelimiter });
  };
  if (!fastify.hasDecorator('switchyard')) fastify.decorate('switchyard', gateway);
  if (!fastify.hasRequestDecorator('switchyard')) fastify.decorateRequest('switchyard', null);

  /** Answers with a gateway response: small bodies through `reply.send` (hooks see them), streams written raw. */
  async function answer(reply: FastifyReply, response: SyResponse): Promise<FastifyReply> {
    const body = response.body;
    if (body === null || typeof body === 'string' || body instanceof Uint8Array) {
      return reply.code(response.status).headers(nodeHeaders(response.headers)).send(body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : body);
    }
    // Streaming: the Node bridge owns reply.raw from here (back-pressure, abort, single writer).
    reply.hijack();
    await writeNodeResponse(reply.raw, response);
    return reply;
  }

  if (options.mode === 'decide') {
    /** Applies a decision: answer (429, redirect, fault) without `done()`, or decorate and go on. */
    const apply = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void, decision: Decision): void => {
      if (decision.kind === 'respond') {
        if (fallThrough && isNoRoute(decision.response)) return done();
        answer(reply, decision.response).catch(done);
        return;
      }
      request.switchyard = decision;
      reply.headers(decision.headers);
      done();
    };
    // A callback hook: when the gateway decides synchronously (in-memory limits) the request
    // goes on to its handler with no promise, no microtask and no closure in between.
    fastify.addHook('onRequest', (request, reply, done) => {
      const decision = gateway.decideNow(toRequest(request));
      if (decision instanceof Promise) decision.then((d) => apply(request, reply, done, d)).catch(done);
      else apply(request, reply, done, decision);
    });
    return;
  }

  // Proxy: a catch-all in a child context whose only content-type parser leaves the body
  // unread, so the gateway streams it; the parent's parsers and routes are untouched.
  await fastify.register(async (child: FastifyInstance) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    child.route({
      method: [...METHODS],
      url: options.path ?? '/*',
      // A callback-style handler (no async function, no promise handed back to Fastify): the
      // reply is sent from the gateway's answer; nothing waits on a returned promise.
      handler: (request, reply) => {
        gateway
          .handle(toRequest(request), { signal: clientAbortSignal(reply.raw) })
          .then((response): unknown => (fallThrough && isNoRoute(response) ? reply.callNotFound() : answer(reply, response)))
          .catch((err: unknown) => {
            if (!reply.sent) reply.send(err);
          });
      },
    });
  });
};

/**
 * The switchyard Fastify plugin.
 *
 * When to use: `fastify.register(switchyard, { gateway })` to proxy every path your own routes
 * don't serve; `{ gateway, mode: 'decide' }` to keep your handlers and take limits, route
 * attributes and canary/experiment assignment from the gateway. Gotchas: decide mode's hook
 * applies to the scope you register it in (and children), as any `fastify-plugin` hook;
 * proxy mode registers `'/*'` (change with `path`), so register it once per server.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createGateway } from '@switchyard/gateway';
 * import { createUndiciTransport } from '@switchyard/transport-undici';
 * import { switchyard } from '@switchyard/fastify';
 * const gateway = createGateway({
 *   routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }] }],
 *   upstreams: { api: { endpoints: [{ url: 'http://127.0.0.1:8081' }] } },
 * }, { transport: createUndiciTransport() });
 * const app = Fastify();
 * await app.register(switchyard, { gateway });
 * app.get('/health', async () => 'ok');
 * await app.listen({ port: 8080 });
 * ```
 */
export const switchyard = fp(plugin, { fastify: '5.x', name: '@switchyard/fastify' });
