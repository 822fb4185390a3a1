/**
 * The policy contract: what a step of a route's pipeline is, what it sees and what it may
 * answer. The gateway runs pipelines (`@switchyard/gateway`), `@switchyard/policies` and
 * `@switchyard/jwt` ship built-ins, and a team writes its own with {@link definePolicy}.
 *
 * The model (see `docs/guides/policies.md`): inbound policies run in the route's order after
 * route matching and before limits, the split and the balancer; each continues (optionally
 * with a changed request, attributes, an identity or a chosen backend) or answers. Outbound
 * policies see the response in reverse order, only for the policies whose inbound ran (Envoy's
 * encoder chain, Hono's onion, MuleSoft/WSO2); finalizers run on every response, every status,
 * also after a short-circuit (a CORS header on a 401: the Zuplo complaint in
 * `policies.md` §7 #7). Policies see {@link SyRequest}, never a framework's request, so one
 * policy runs unchanged in Express, Fastify, Hono and on edge runtimes.
 *
 * @module
 */
import type { Clock } from './clock.js';
import type { Rng } from './rng.js';
import type { Attributes, SyRequest, SyResponse } from './http.js';
import type { SwitchyardErrorCode } from './errors.js';
import type { Transport } from './transport.js';

/**
 * The caller's identity, one shape for every auth policy (Zuplo's `request.user`): for an API
 * key `sub` is the consumer id and `data` its metadata (plus `tier`); for a JWT `sub` is the
 * `sub` claim and `data` the other claims.
 */
export interface Identity {
  readonly sub: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** The policy instance (by name) that authenticated the caller. */
  readonly via?: string | undefined;
}

/**
 * Where a request comes from, as far as a {@link GeoSource} can tell. `country` is ISO 3166-1
 * alpha-2, upper case; the CDNs' "unknown" (`XX`) and "Tor" (`T1`) codes are not countries:
 * a source reports them as `country: undefined` with `anonymous: 'tor'` where it knows.
 */
export interface GeoInfo {
  // Deliberately alike: policies/src/geo-sources.ts (GeoHeaderNames) — the values of a location beside the names of the headers that carry them (all strings); a data type's list of optional readonly fields: alike in shape only
  readonly country?: string | undefined;
  /** ISO 3166-2 subdivision code without the country prefix (`CA` for California), upper case. */
  readonly region?: string | undefined;
  readonly city?: string | undefined;
  /** Two-letter continent code (`EU`, `NA`, …). */
  readonly continent?: string | undefined;
  readonly latitude?: number | undefined;
  readonly longitude?: number | undefined;
  readonly timezone?: string | undefined;
  readonly asn?: number | undefined;
  /** Set when the source knows the address is an anonymiser (Cloudflare's `T1`: Tor). */
  readonly anonymous?: 'tor' | 'proxy' | undefined;
  /** Which source answered (`cloudflare`, `cloudfront`, `vercel`, `maxmind`, …). */
  readonly source: string;
}

/**
 * A geolocation source. Header sources (CDN headers) must only be believed when the request
 * came through that CDN: `trusted` says whether the TCP peer is one of the configured trusted
 * proxies (the same rule as `X-Forwarded-For`); an untrusted request gets `undefined` from a
 * header source. `clientIp` is the client address as the gateway's client-identity rule derived
 * it (for address-based sources such as MaxMind).
 */
export interface GeoSource {
  readonly name: string;
  lookup(request: SyRequest, info: { readonly trusted: boolean; readonly clientIp: string | undefined }): GeoInfo | undefined;
}

/** The route a policy runs on, read-only. */
export interface PolicyRoute {
  readonly name: string;
  /** The route's `metadata` from config (the `x-` data of an imported OpenAPI operation, …). */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/**
 * What a policy sees besides the request. One per request per pipeline run; fields that
 * change as the pipeline runs (`identity`, `attributes`, `backend`) always show the current
 * value, with the changes of the policies before this one.
 */
export interface PolicyContext {
  /** The request id: the client's `x-request-id` when it is a sane token, else a random one. */
  readonly requestId: string;
  readonly route: PolicyRoute;
  /** This policy instance's name in config. */
  readonly policy: string;
  readonly clock: Clock;
  readonly rng: Rng;
  /** `clock.now()` when the pipeline started (monotonic ms): one clock read shared by all. */
  readonly now: number;
  /** The caller, once an auth policy before this one has authenticated it. */
  readonly identity: Identity | undefined;
  /** The request's attributes (the route name, attributes earlier policies set, …). */
  readonly attributes: Attributes;
  /** The backend a policy before this one picked, if any. */
  readonly backend: string | undefined;
  /** The client address per the gateway's client-identity rule (trusted proxies applied). */
  readonly clientIp: string | undefined;
  /** Whether the TCP peer is one of the configured trusted proxies. */
  readonly trustedPeer: boolean;
  /** Geolocation, computed on first call from the gateway's {@link GeoSource} (then cached). */
  geo(): GeoInfo | undefined;
}

/** An answer that goes through the gateway's error formatter (and the overrides for it). */
export interface PolicyReject {
  readonly kind: 'reject';
  readonly code: SwitchyardErrorCode;
  /** Defaults to `ERROR_STATUS[code]`. */
  readonly status?: number | undefined;
  /** A fixed, client-safe sentence (never echoes request bytes). */
  readonly message: string;
  /** Headers the response must carry whatever the body format (`WWW-Authenticate`, `Retry-After`, …). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Values an error template may use (`${limit}`, `${retryAfterSeconds}`, …), never shown by default. */
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
}

/** Go on to the next step; every field is optional and replaces the current value. */
export interface PolicyContinue {
  readonly kind: 'continue';
  /** A new request (headers changed, …): later steps and the upstream see this one. */
  readonly request?: SyRequest | undefined;
  /** Merged into the request's attributes (copy on write; a key set to `undefined` is removed). */
  readonly attributes?: Readonly<Record<string, unknown>> | undefined;
  readonly identity?: Identity | undefined;
  /** A backend of the route by name: the split is skipped. Unknown names answer 500 `SY_INTERNAL`. */
  readonly backend?: string | undefined;
}

/** A response as it is (no formatter): a policy that really wants its own bytes. */
export interface PolicyRespond {
  readonly kind: 'respond';
  readonly response: SyResponse;
}

/** What an inbound policy returns. */
export type InboundResult = PolicyContinue | PolicyReject | PolicyRespond;

/** What the pipeline knows of a policy without running it (compile-time checks, `explain`). */
export type PolicyCapability = 'identity' | 'geo' | 'backend';

/**
 * One policy instance, built once per config (never shared module state: `policies.md` §7 #4).
 * At least one of `inbound` and `outbound` is present.
 */
export interface Policy {
  /** The type it was created from (`api-key`, `cors`, or a custom type). */
  readonly type: string;
  inbound?(request: SyRequest, ctx: PolicyContext): InboundResult | Promise<InboundResult>;
  /**
   * The response on its way out, every status. Runs in reverse order, only when this policy's
   * inbound ran (or it has no inbound and the pipeline reached it), unless it is a finalizer.
   */
  outbound?(response: SyResponse, request: SyRequest, ctx: PolicyContext): SyResponse | Promise<SyResponse>;
  /** Run `outbound` on every response, also after a short-circuit before this policy and on 404s. */
  readonly finalizer?: boolean | undefined;
  /** What it sets for later steps (`identity` for auth policies): compile-time ordering checks. */
  readonly provides?: readonly PolicyCapability[] | undefined;
  /** What it needs from earlier steps (`identity` for a per-consumer limit). */
  readonly requires?: readonly PolicyCapability[] | undefined;
  /**
   * The backend names it may pick (`continue` with `backend`), when it knows them at creation
   * (`geo`'s `backends` and `defaultBackend`): the gateway checks them at load against each route
   * the policy runs on, so a name the route lacks is a config error, not a 500 at run time.
   * Optional: a policy that does not declare them is checked per request only.
   */
  readonly backends?: readonly string[] | undefined;
  /** One line for `explain()`: what this instance does with its options. */
  describe?(): string;
  /** Releases timers, caches, connections (called when the gateway stops or reloads away from it). */
  close?(): void | Promise<void>;
}

/** What a policy factory gets besides its options. */
export interface PolicyFactoryDeps {
  /** The instance name in config. */
  readonly name: string;
  readonly clock: Clock;
  readonly rng: Rng;
  /** The gateway's transport (for JWKS fetches, webhooks), if it has one. */
  readonly transport?: Transport | undefined;
  /** Another instance by name (for composites such as `any-auth`); undefined if unknown. */
  policy(name: string): Policy | undefined;
}

/**
 * The Standard Schema v1 interface (https://standardschema.dev, copied as its spec asks:
 * implemented by valibot, zod, arktype…): how a policy declares and validates its options, so
 * a wrong option type is a config error with its path.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaV1Result<Output> | Promise<StandardSchemaV1Result<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** Standard Schema v1 validation result. */
export type StandardSchemaV1Result<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }> };

/**
 * A policy type: how to validate its options and build an instance. Built-ins and custom
 * policies are the same thing; config refers to them by `type`.
 */
export interface PolicyDefinition<Options = unknown> {
  readonly type: string;
  /** Validates (and may default) the options; synchronous validation only. */
  readonly options?: StandardSchemaV1<unknown, Options> | undefined;
  /** One sentence for docs and `--help`. */
  readonly summary?: string | undefined;
  create(options: Options, deps: PolicyFactoryDeps): Policy;
}

/**
 * Declares a policy type with typed options.
 *
 * @example
 * ```ts
 * import { definePolicy } from '@switchyard/core';
 * export const pickRegion = definePolicy<{ header: string }>({
 *   type: 'pick-region',
 *   create: (options) => ({
 *     type: 'pick-region',
 *     inbound: (req) => ({ kind: 'continue', backend: req.headers[options.header] === 'eu' ? 'eu' : 'us' }),
 *   }),
 * });
 * ```
 */
export function definePolicy<Options = unknown>(definition: PolicyDefinition<Options>): PolicyDefinition<Options> {
  return Object.freeze({ ...definition });
}

/** The `continue` result with nothing changed, shared (no allocation per request). */
export const CONTINUE: PolicyContinue = Object.freeze({ kind: 'continue' });
