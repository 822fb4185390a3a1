/**
 * `switchyard` for Fastify 5: a plugin (built with `fastify-plugin`) that decorates the instance
 * with the gateway (`fastify.switchyard`) and each request with its decision
 * (`request.switchyard`), in proxy mode (a catch-all route in its own encapsulated context, so
 * it sees the raw body stream and your routes keep precedence) or decide mode (an `onRequest`
 * hook, applied to the scope the plugin is registered in and its children only). No traffic
 * logic: the gateway decides and forwards; the Node bridge streams and writes.
 */
import type { RequestHeaders, ResponseHeaders, SyRequest, SyResponse } from '@switchyard/core';
import { isNoRoute, clientAbortSignal, fromNodeRequest, nodeHeaders, nodePeerAddress, responseCode, writeNodeResponse, type Decision, type Gateway } from '@switchyard/gateway';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
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
  /**
   * Fastify's own `register` option, honoured: proxy mode's catch-all answers `<prefix>` and
   * `<prefix>/*` only (your routes beside it keep answering), decide mode's hook decides only
   * paths under the prefix. The gateway still routes on the full path. Parameters in the
   * prefix (`/api/:id`) are not supported (registration fails).
   */
  readonly prefix?: string;
  /**
   * Proxy mode, under a `prefix`: what replaces the prefix in the path the upstream sees, as
   * `@fastify/http-proxy`'s option of that name. Default `''`: the prefix is stripped
   * (`/api/users` → `/users`; the endpoint URL's own path, if any, still goes in front, as
   * `@fastify/http-proxy` uses the upstream URL's path). `'/v2'`: `/api/users` → `/v2/users`; set
   * it to the prefix to keep it. A route with its own `rewrite` of the path decides instead.
   */
  readonly rewritePrefix?: string;
  /**
   * Proxy mode: a relative `Location` of an upstream response that starts with `rewritePrefix`
   * gets the `prefix` back (`/users/7` → `/api/users/7`), as `@fastify/http-proxy`'s
   * `internalRewriteLocationHeader` (default `true`).
   */
  readonly internalRewriteLocationHeader?: boolean;
  /**
   * Proxy mode: rewrites an upstream response's headers before they are written, as
   * `@fastify/http-proxy`'s `replyOptions.rewriteHeaders` (`@fastify/reply-from`). Not called for
   * the gateway's own answers (429, 502, …). Return the headers to send.
   */
  readonly rewriteHeaders?: (headers: ResponseHeaders, request: FastifyRequest) => ResponseHeaders;
  /**
   * Proxy mode: rewrites the request headers before the gateway routes and forwards the
   * request, as `replyOptions.rewriteRequestHeaders`. (Static changes belong in the route's
   * `rewrite.requestHeaders`.)
   */
  readonly rewriteRequestHeaders?: (request: FastifyRequest, headers: RequestHeaders) => RequestHeaders;
  /** Proxy mode: Fastify `onRequest` hook(s) of the catch-all route only (`@fastify/http-proxy` passes route hooks alike). */
  readonly onRequest?: RouteShorthandOptions['onRequest'];
  /** Proxy mode: Fastify `preHandler` hook(s) of the catch-all route only (`@fastify/http-proxy`'s `preHandler`). */
  readonly preHandler?: RouteShorthandOptions['preHandler'];
  /** Proxy mode: Fastify `onResponse` hook(s) of the catch-all route only; they run for streamed answers too. */
  readonly onResponse?: RouteShorthandOptions['onResponse'];
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

  // `fastify-plugin` runs this function in the parent's context, where Fastify ignores the
  // `prefix` register option (docs/Reference/Plugins.md): it is applied here, to the child
  // context the routes live in, so `register(switchyard, { prefix: '/api' })` means `/api`.
  if (options.prefix !== undefined && /[:*]/.test(options.prefix)) throw new Error(`@switchyard/fastify: prefix ${JSON.stringify(options.prefix)} has a parameter or wildcard; use a static prefix and route on parameters in the gateway config`);
  let prefix = '';
  await fastify.register(
    async (child: FastifyInstance) => {
      prefix = child.prefix;
    },
    options.prefix === undefined ? {} : { prefix: options.prefix },
  );
  const under = prefixTest(prefix);

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
      if (under !== undefined && !under(request.url)) return done();
      const decision = gateway.decideNow(toRequest(request));
      if (decision instanceof Promise) decision.then((d) => apply(request, reply, done, d)).catch(done);
      else apply(request, reply, done, decision);
    });
    return;
  }

  // Proxy: a catch-all in a child context (under the prefix) whose only content-type parser
  // leaves the body unread, so the gateway streams it; the parent's parsers and routes are
  // untouched.
  const rewritePrefix = trimSlash(options.rewritePrefix ?? '');
  // @fastify/http-proxy (index.js `fromParametersWithRewritePrefix`): the upstream path is
  // rewritePrefix + what follows the prefix; the gateway applies it to routes that leave the
  // path alone. Gateway API ReplacePrefixMatch semantics (segment-wise, never empty).
  // A path outside the prefix once normalized (`/api/../admin` reached the `/api/*` route) is
  // refused with 400, as @fastify/http-proxy refuses paths escaping the rewritePrefix.
  const mount = trimSlash(prefix);
  const upstreamPath =
    mount === '' && rewritePrefix === '' ? undefined : (path: string): string | undefined => (mount === '' || unprefixed(path, mount) !== undefined ? replacePrefix(path, mount, rewritePrefix) : undefined);
  const rewriteLocation = (options.internalRewriteLocationHeader ?? true) && prefix !== '';
  const rewriteHeaders = options.rewriteHeaders;
  const rewriteRequestHeaders = options.rewriteRequestHeaders;

  /** An upstream's answer with the prefix put back in its relative `Location`, then the user's `rewriteHeaders`. */
  const upstreamAnswer = (request: FastifyRequest, response: SyResponse): SyResponse => {
    if ((!rewriteLocation && rewriteHeaders === undefined) || responseCode(response) !== undefined) return response;
    let headers = response.headers;
    const location = headers['location'];
    if (rewriteLocation && typeof location === 'string' && !/^[A-Za-z][A-Za-z\d+.-]*:|^\/\//.test(location)) {
      const moved = unprefixed(location, rewritePrefix);
      if (moved !== undefined) headers = { ...headers, location: prefix + moved };
    }
    if (rewriteHeaders !== undefined) headers = rewriteHeaders({ ...headers }, request);
    return { ...response, headers };
  };

  /** The gateway's own 500 for an exception (a bug): no message, no stack, through its error formatter. */
  const internalError = (request: FastifyRequest, reply: FastifyReply, err: unknown): void => {
    request.log.error({ err }, 'switchyard: request failed');
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    answer(reply, gateway.errorResponse('SY_INTERNAL', undefined)).catch(() => reply.raw.destroy());
  };

  await fastify.register(
    async (child: FastifyInstance) => {
      child.removeAllContentTypeParsers();
      child.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
      const hooks = {
        ...(options.onRequest !== undefined ? { onRequest: options.onRequest } : {}),
        ...(options.preHandler !== undefined ? { preHandler: options.preHandler } : {}),
        ...(options.onResponse !== undefined ? { onResponse: options.onResponse } : {}),
      };
      // Under a prefix, `'/'` answers `<prefix>` and `<prefix>/` (Fastify's prefixTrailingSlash),
      // as @fastify/http-proxy's default routes `['/', '/*']`; without one, `'/*'` alone (it
      // matches `/` too, and a `/` of your own stays yours).
      const urls = options.path !== undefined ? [options.path] : prefix === '' ? ['/*'] : ['/', '/*'];
      for (const url of urls) {
        child.route({
          method: [...METHODS],
          url,
          ...hooks,
          // A callback-style handler (no async function, no promise handed back to Fastify): the
          // reply is sent from the gateway's answer; nothing waits on a returned promise.
          handler: (request, reply) => {
            let sy: SyRequest;
            try {
              sy = toRequest(request);
              if (rewriteRequestHeaders !== undefined) sy = { ...sy, headers: rewriteRequestHeaders(request, { ...sy.headers }) };
            } catch (err) {
              internalError(request, reply, err);
              return;
            }
            gateway
              .handle(sy, upstreamPath === undefined ? { signal: clientAbortSignal(reply.raw) } : { signal: clientAbortSignal(reply.raw), upstreamPath })
              .then((response): unknown => (fallThrough && isNoRoute(response) ? reply.callNotFound() : answer(reply, upstreamAnswer(request, response))))
              .catch((err: unknown) => internalError(request, reply, err));
          },
        });
      }
    },
    options.prefix === undefined ? {} : { prefix: options.prefix },
  );
};

/** `p` without trailing slashes (`'/'` → `''`), as @fastify/http-proxy trims `rewritePrefix`. */
function trimSlash(p: string): string {
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 47) end--;
  return p.slice(0, end);
}

/**
 * Gateway API `ReplacePrefixMatch` (as `@switchyard/rewrite`'s `replacePrefixMatch`, which an
 * adapter may not import): `p`'s path elements replaced by `r`, both without trailing slash;
 * never empty (`/api` with `''` → `/`); a path `p` does not match segment-wise is unchanged.
 */
function replacePrefix(path: string, p: string, r: string): string {
  const n = p.length;
  if (n !== 0 && !(path.startsWith(p) && (path.length === n || path.charCodeAt(n) === 47))) return path;
  if (path.length === n) return r === '' ? '/' : r;
  return r + path.slice(n);
}

/** What follows `p` in `path` at a segment boundary (`''` matches everything), else undefined. */
function unprefixed(path: string, p: string): string | undefined {
  if (p === '') return path;
  if (!path.startsWith(p)) return undefined;
  const next = path.charCodeAt(p.length);
  return Number.isNaN(next) || next === 47 || next === 63 ? path.slice(p.length) : undefined;
}

/** Whether a request target (`/api/x?y`) is under `prefix`, segment-wise; undefined: no prefix. */
function prefixTest(prefix: string): ((url: string) => boolean) | undefined {
  const p = trimSlash(prefix);
  if (p === '') return undefined;
  return (url) => unprefixed(url, p) !== undefined;
}

/**
 * The switchyard Fastify plugin.
 *
 * When to use: `fastify.register(switchyard, { gateway })` to proxy every path your own routes
 * don't serve; `{ gateway, mode: 'decide' }` to keep your handlers and take limits, route
 * attributes and canary/experiment assignment from the gateway. Gotchas: decide mode's hook
 * applies to the scope you register it in (and children), as any `fastify-plugin` hook;
 * proxy mode registers `'/*'` (change with `path`), or `<prefix>` and `<prefix>/*` under a
 * `prefix` (the upstream then sees the path below the prefix, `rewritePrefix` in front, as
 * `@fastify/http-proxy`): without a prefix, register it once per server.
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
