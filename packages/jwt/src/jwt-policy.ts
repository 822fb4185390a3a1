/**
 * The `jwt` policy: verifies a JSON Web Token with jose and turns its claims into the caller's
 * identity, request attributes and upstream headers. Semantics are Envoy's `jwt_authn`
 * (providers by issuer, `forward: false`, `claim_to_headers`, `clock_skew_seconds` 60,
 * `allow_missing`) on jose's `jwtVerify`, with RFC 8725's rules (pinned algorithms, `none`
 * refused, `iss`/`aud`/`typ` checked) and RFC 6750's answers (401 with `WWW-Authenticate:
 * Bearer`, 403 `insufficient_scope`). See `references/policies.md` §3, §5.1, §5.2.
 *
 * @module
 */
import { createLocalJWKSet, decodeJwt, errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import * as v from 'valibot';
import {
  ConfigError,
  CONTINUE,
  definePolicy,
  formatPath,
  isSendableHeaderValue,
  type Identity,
  type InboundResult,
  type Policy,
  type PolicyContext,
  type PolicyFactoryDeps,
  type PolicyReject,
  type SyRequest,
} from '@switchyard/core';
import { jwtOptionsSchema, type JwtPolicyInput, type JwtPolicyOptions, type JwtProviderOptions } from './options.js';
import { compileTokenSource, type TokenReader } from './token-source.js';
import { createRemoteJwks, JwksUnavailableError, type RemoteJwks } from './remote-jwks.js';
import { createVerifiedCache, type VerifiedCache } from './internal/verified-cache.js';

/**
 * Longest token read (characters). Real access tokens are one or two kilobytes; the bound keeps
 * a hostile header from costing a large base64 decode and JSON parse.
 */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** Why a request was refused: `detail.reason` of the reject (for error templates and logs, never shown by default). */
export type JwtRejectReason = 'missing' | 'invalid' | 'expired' | 'not-yet-valid' | 'unverifiable' | 'unsendable-claim' | 'insufficient-scope';

/** One provider, compiled: the key source and jose's options without the per-request clock. */
interface Provider {
  readonly issuer: string;
  readonly key: JWTVerifyGetKey;
  /** The key itself once known, when one key verifies every token (a secret with one algorithm). */
  direct: CryptoKey | undefined;
  readonly remote: RemoteJwks | undefined;
  readonly base: JWTVerifyOptions;
  readonly subjectClaim: string;
}

/** What a verified token yields, independent of the request (what the verified cache keeps). */
interface Verified {
  readonly identity: Identity;
  readonly attributes: Readonly<Record<string, unknown>> | undefined;
  readonly headers: readonly (readonly [string, string])[] | undefined;
  /** A refusal the claims imply (missing scope, unsendable claim), or undefined. */
  readonly refusal: PolicyReject | undefined;
}

/**
 * The `jwt` policy type, to register with the gateway.
 *
 * When to use: the callers present bearer tokens (OAuth 2 access tokens, OIDC ID tokens, your
 * own HS256 service tokens) and the route must know who they are. Put it first in the route's
 * inbound list so later policies (a per-consumer `rate-limit`, a routing rule on
 * `${attributes.tenant}`) see the identity.
 *
 * Gotchas: verification is asynchronous (WebCrypto), so a route with `jwt` runs its pipeline
 * asynchronously, except for tokens answered from the verified cache (`verifiedCacheSize`).
 * `algorithms` is required; `exp` is required unless `requireExp: false`; the clock skew is 60 s.
 *
 * @example
 * ```ts
 * import { createGateway } from '@switchyard/gateway';
 * import { jwtPolicy } from '@switchyard/jwt';
 * const gateway = createGateway({
 *   policies: {
 *     auth: { type: 'jwt', options: { providers: [{ issuer: 'https://idp.example/', audiences: ['orders'], jwksUri: 'https://idp.example/.well-known/jwks.json', algorithms: ['RS256'] }] } },
 *   },
 *   routes: [{ name: 'orders', matches: [{ path: { type: 'PathPrefix', value: '/orders' } }], policies: { inbound: ['auth'] }, backends: [{ upstream: 'orders' }] }],
 *   upstreams: { orders: { endpoints: [{ url: 'http://127.0.0.1:8081' }] } },
 * }, { transport, policies: [jwtPolicy] }); // the key set is fetched through `transport`
 * ```
 */
export const jwtPolicy = definePolicy<JwtPolicyOptions>({
  type: 'jwt',
  summary: 'Verifies a JWT (jose) against pinned algorithms and an issuer key set; claims become the identity, attributes and upstream headers.',
  options: jwtOptionsSchema,
  create: createFromOptions,
});

/**
 * Validates `input` (defaults applied) and builds a `jwt` policy instance: what the gateway
 * does with a `{ type: 'jwt', options }` entry, for code that runs a policy by itself (tests,
 * benchmarks, a custom composite).
 *
 * Throws a `ConfigError` (`SY_CONFIG_INVALID`) listing every problem by path.
 *
 * @example
 * ```ts
 * import { systemClock, systemRng } from '@switchyard/core';
 * import { createJwtPolicy } from '@switchyard/jwt';
 * const policy = createJwtPolicy(
 *   { providers: [{ issuer: 'svc', secret: 'a-32-byte-or-longer-shared-secret!', algorithms: ['HS256'] }] },
 *   { name: 'auth', clock: systemClock, rng: systemRng, policy: () => undefined },
 * );
 * ```
 */
export function createJwtPolicy(input: JwtPolicyInput, deps: PolicyFactoryDeps): Policy {
  return createFromOptions(parseJwtOptions(input), deps);
}

/** Validates `jwt` options (defaults applied) or throws a `ConfigError` listing every problem by path. */
export function parseJwtOptions(input: unknown): JwtPolicyOptions {
  const result = v.safeParse(jwtOptionsSchema, input);
  if (result.success) return result.output;
  throw new ConfigError(
    result.issues.map((issue) => ({
      path: formatPath((issue.path ?? []).map((p) => (typeof p.key === 'number' ? p.key : String(p.key)))) || 'options',
      message: issue.message,
    })),
  );
}

function createFromOptions(options: JwtPolicyOptions, deps: PolicyFactoryDeps): Policy {
  const clock = deps.clock;
  const providers = options.providers.map((p, i) => compileProvider(p, i, options, deps));
  const byIssuer = new Map(providers.map((p) => [p.issuer, p]));
  const single = providers.length === 1 ? providers[0] : undefined;
  const reader: TokenReader = compileTokenSource(options.token);
  const strip = !options.forwardToken;
  const rejects = buildRejects(options.realm, options.requiredScopes);
  const attributeMap = compileClaimPaths(options.claimsToAttributes);
  const headerMap = compileClaimPaths(options.claimsToHeaders, (h) => h.toLowerCase());
  // Every header the policy writes is removed from what the client sent, whether or not the
  // token carries the claim: a client must not be able to supply `x-user-id` itself.
  const ownedHeaders = Object.freeze(headerMap.map((c) => c.target));
  const requiredScopes = options.requiredScopes;
  const via = deps.name;
  const cache: VerifiedCache<Verified> | undefined = options.verifiedCacheSize > 0 ? createVerifiedCache<Verified>(options.verifiedCacheSize) : undefined;

  /** The claims of a verified token → what the request gets. */
  const toVerified = (payload: JWTPayload, provider: Provider): Verified | PolicyReject => {
    const subject = readClaim(payload, provider.subjectClaim, false);
    if (typeof subject !== 'string' && typeof subject !== 'number') return rejects.invalid;
    const data: Record<string, unknown> = {};
    for (const k in payload) if (k !== provider.subjectClaim) data[k] = payload[k];
    const identity: Identity = Object.freeze({ sub: String(subject), data: Object.freeze(data), via });
    let attributes: Record<string, unknown> | undefined;
    for (const c of attributeMap) {
      const value = readClaim(payload, c.claim, c.dotted);
      if (value !== undefined) (attributes ??= {})[c.target] = value;
    }
    let headers: [string, string][] | undefined;
    let refusal: PolicyReject | undefined;
    for (const c of headerMap) {
      const value = readClaim(payload, c.claim, c.dotted);
      // Envoy `claim_to_headers`: string, number and boolean claims only; others are not sent.
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
      const text = String(value);
      // Sendable by both transports' rules (core's one definition): never a header an HTTP client refuses or splits.
      if (!isSendableHeaderValue(text) || !isSendableHeaderValue(text, 'fetch')) {
        refusal = rejects.unsendable;
        break;
      }
      (headers ??= []).push([c.target, text]);
    }
    if (refusal === undefined && requiredScopes.length > 0 && !hasScopes(payload, requiredScopes)) refusal = rejects.scope;
    return { identity, attributes: attributes && Object.freeze(attributes), headers, refusal };
  };

  const finish = (request: SyRequest, verified: Verified): InboundResult => {
    if (verified.refusal !== undefined) return verified.refusal;
    const next = reader.rewrite(request, strip, ownedHeaders, verified.headers);
    return next === request
      ? { kind: 'continue', identity: verified.identity, attributes: verified.attributes }
      : { kind: 'continue', request: next, identity: verified.identity, attributes: verified.attributes };
  };

  const verify = async (request: SyRequest, token: string, provider: Provider): Promise<InboundResult> => {
    // With the cache on, note which key set generation the key came from (an entry is only
    // used while that set is current).
    let generation = 0;
    const remote = provider.remote;
    const key: JWTVerifyGetKey | CryptoKey =
      provider.direct !== undefined
        ? provider.direct
        : cache === undefined || remote === undefined
        ? provider.key
        : (header, jws) =>
            remote.resolve(header, jws).then((r) => {
              generation = r.generation;
              return r.key;
            });
    let payload: JWTPayload;
    try {
      // A fresh options object per call: jose reads it after awaiting, so a shared one would
      // let a concurrent request change this one's time.
      ({ payload } = await jwtVerify(token, key, { ...provider.base, currentDate: new Date(clock.wallNow()) }));
    } catch (error) {
      return rejectionFor(error, rejects);
    }
    const verified = toVerified(payload, provider);
    if ('kind' in verified) return verified;
    // Remember it until `exp` at the latest (never past it, skew or not), only for tokens with one.
    if (cache !== undefined && typeof payload.exp === 'number') cache.set(token, verified, payload.exp * 1000, provider, generation);
    return finish(request, verified);
  };

  const inbound = (request: SyRequest, _ctx: PolicyContext): InboundResult | Promise<InboundResult> => {
    const found = reader.read(request);
    if (found.kind === 'missing') {
      if (!options.allowAnonymous) return rejects.missing;
      const next = reader.rewrite(request, false, ownedHeaders, undefined);
      return next === request ? CONTINUE : { kind: 'continue', request: next };
    }
    const token = found.token;
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return rejects.invalid;
    if (cache !== undefined) {
      const hit = cache.get(token, clock.wallNow(), (provider, generation) => {
        const remote = (provider as Provider).remote;
        return remote === undefined || (remote.generation() === generation && remote.fresh(clock.now()));
      });
      if (hit !== undefined) return finish(request, hit);
    }
    let provider = single;
    if (provider === undefined) {
      // RFC 8725 §3.8 / references §5.2: the unverified `iss` only chooses whose keys to try;
      // jose then checks `iss` against that provider's issuer after the signature.
      let iss: unknown;
      try {
        iss = decodeJwt(token).iss;
      } catch {
        return rejects.invalid;
      }
      provider = typeof iss === 'string' ? byIssuer.get(iss) : undefined;
      if (provider === undefined) return rejects.invalid;
    }
    return verify(request, token, provider);
  };

  const issuers = providers.map((p) => p.issuer).join(', ');
  return {
    type: 'jwt',
    inbound,
    provides: ['identity'],
    describe: () =>
      `jwt: ${providers.length === 1 ? 'issuer' : 'issuers'} ${issuers}; token from ${describeSource(options.token)}${strip ? ' (stripped)' : ' (forwarded)'}; ` +
      `exp ${options.requireExp ? 'required' : 'optional'}; clock skew ${options.clockSkewSeconds} s` +
      `${options.allowAnonymous ? '; anonymous allowed' : ''}${requiredScopes.length > 0 ? `; scopes ${requiredScopes.join(' ')}` : ''}` +
      `${cache !== undefined ? `; verified cache ${options.verifiedCacheSize}` : ''}`,
    close() {
      for (const p of providers) p.remote?.close();
      cache?.clear();
    },
  };
}

function describeSource(source: JwtPolicyOptions['token']): string {
  switch (source.from) {
    case 'bearer':
      return 'Authorization: Bearer';
    case 'header':
      return `header ${source.name.toLowerCase()}`;
    case 'cookie':
      return `cookie ${source.name}`;
    case 'query':
      return `query parameter ${source.name}`;
  }
}

function compileProvider(p: JwtProviderOptions, index: number, options: JwtPolicyOptions, deps: PolicyFactoryDeps): Provider {
  const path = `providers[${index}]`;
  const requiredClaims = [...new Set([...(options.requireExp ? ['exp'] : []), p.subjectClaim, ...p.requiredClaims])];
  const base: JWTVerifyOptions = Object.freeze({
    algorithms: [...p.algorithms],
    issuer: p.issuer,
    ...(p.audiences !== undefined ? { audience: [...p.audiences] } : {}),
    ...(p.typ !== undefined ? { typ: p.typ } : {}),
    requiredClaims,
    clockTolerance: options.clockSkewSeconds,
  });
  let key: JWTVerifyGetKey;
  let remote: RemoteJwks | undefined;
  let onlyKey: Promise<unknown> | undefined;
  if (p.secret !== undefined) {
    key = hmacKey(p.secret);
    // One algorithm: one key. Import it now and hand jose the key itself from then on (what a
    // caller of jwtVerify would do; jose still checks that it fits the header's alg).
    if (p.algorithms.length === 1) onlyKey = Promise.resolve(key({ alg: p.algorithms[0] as string }, { payload: '', signature: '' }));
  } else if (p.jwks !== undefined) {
    try {
      key = createLocalJWKSet(p.jwks as Parameters<typeof createLocalJWKSet>[0]);
    } catch (error) {
      throw new ConfigError([{ path: `${path}.jwks`, message: `not a usable JSON Web Key Set: ${error instanceof Error ? error.message : String(error)}` }]);
    }
  } else {
    const transport = deps.transport;
    if (transport === undefined) throw new ConfigError([{ path: `${path}.jwksUri`, message: 'a remote key set needs the gateway transport (none was given to the policy)' }]);
    remote = createRemoteJwks({
      uri: p.jwksUri as string,
      transport,
      clock: deps.clock,
      cacheMaxAgeMs: p.cacheMaxAgeMs,
      cooldownMs: p.cooldownMs,
      failedRefetchMs: p.failedRefetchMs,
      timeoutMs: p.timeoutMs,
    });
    key = remote.getKey;
  }
  const provider: Provider = { issuer: p.issuer, key, direct: undefined, remote, base, subjectClaim: p.subjectClaim };
  onlyKey?.then(
    (k) => {
      provider.direct = k as CryptoKey;
    },
    () => undefined,
  );
  return provider;
}

/**
 * An HMAC key per algorithm, imported once (jose would import a raw `Uint8Array` secret on
 * every verification). The header's `alg` is already checked against the pinned list by jose
 * before the key is asked for.
 */
function hmacKey(secret: string): JWTVerifyGetKey {
  const subtle = (globalThis as unknown as { crypto: { subtle: { importKey(format: 'raw', key: Uint8Array, algorithm: { name: 'HMAC'; hash: string }, extractable: boolean, usages: string[]): Promise<unknown> } } }).crypto.subtle;
  const bytes = new (globalThis as unknown as { TextEncoder: new () => { encode(s: string): Uint8Array } }).TextEncoder().encode(secret);
  const keys = new Map<string, Promise<unknown>>();
  return (header) => {
    const alg = header.alg as string;
    let key = keys.get(alg);
    if (key === undefined) {
      key = subtle.importKey('raw', bytes, { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, ['verify']);
      keys.set(alg, key);
    }
    return key as ReturnType<JWTVerifyGetKey>;
  };
}

interface ClaimPath {
  readonly claim: string;
  /** Whether a missing top-level claim is looked up as a dotted path (`realm_access.roles`). */
  readonly dotted: boolean;
  readonly target: string;
}

function compileClaimPaths(map: Readonly<Record<string, string>>, target: (t: string) => string = (t) => t): readonly ClaimPath[] {
  return Object.freeze(Object.entries(map).map(([claim, t]) => Object.freeze({ claim, dotted: claim.includes('.'), target: target(t) })));
}

/**
 * A claim by name. A name with dots is first a top-level claim (namespaced claims such as
 * `https://example.com/roles` are URLs), then a path into nested objects (Envoy `claim_name`).
 */
function readClaim(payload: Readonly<Record<string, unknown>>, name: string, dotted: boolean): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  if (!dotted) return undefined;
  let at: unknown = payload;
  for (const part of name.split('.')) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/**
 * Every required scope is granted: `scope` is a space-separated string (RFC 8693 §4.2, RFC 9068
 * §2.2.3); `scp` is an array (Okta, Azure AD v1 `scp` string) or a space-separated string.
 */
function hasScopes(payload: JWTPayload, required: readonly string[]): boolean {
  const granted = new Set<string>();
  for (const claim of [payload['scope'], payload['scp']]) {
    if (typeof claim === 'string') {
      for (const s of claim.split(' ')) if (s !== '') granted.add(s);
    } else if (Array.isArray(claim)) {
      for (const s of claim) if (typeof s === 'string') granted.add(s);
    }
  }
  return required.every((s) => granted.has(s));
}

interface Rejects {
  readonly missing: PolicyReject;
  readonly invalid: PolicyReject;
  readonly expired: PolicyReject;
  readonly notYetValid: PolicyReject;
  readonly unverifiable: PolicyReject;
  readonly unsendable: PolicyReject;
  readonly scope: PolicyReject;
}

/**
 * Every answer, built once. RFC 6750 §3: no `error` when the request had no token (§3.1 "SHOULD
 * NOT include an error code"), `invalid_token` (401) for a bad one, `insufficient_scope` (403)
 * with the scope needed. Descriptions are fixed sentences: they say what the client can act on
 * (expired → refresh) and nothing about keys, issuers or why a signature failed.
 */
function buildRejects(realm: string, scopes: readonly string[]): Rejects {
  const challenge = `Bearer realm="${realm}"`;
  const r = (code: 'SY_UNAUTHORIZED' | 'SY_FORBIDDEN', message: string, reason: JwtRejectReason, header: string): PolicyReject =>
    Object.freeze({ kind: 'reject', code, message, headers: Object.freeze({ 'www-authenticate': header }), detail: Object.freeze({ reason }) });
  const invalidToken = (description: string) => `${challenge}, error="invalid_token", error_description="${description}"`;
  return Object.freeze({
    missing: r('SY_UNAUTHORIZED', 'An access token is required.', 'missing', challenge),
    invalid: r('SY_UNAUTHORIZED', 'The access token is invalid.', 'invalid', invalidToken('The access token is invalid')),
    expired: r('SY_UNAUTHORIZED', 'The access token expired.', 'expired', invalidToken('The access token expired')),
    notYetValid: r('SY_UNAUTHORIZED', 'The access token is not valid yet.', 'not-yet-valid', invalidToken('The access token is not valid yet')),
    unverifiable: r('SY_UNAUTHORIZED', 'The access token could not be verified.', 'unverifiable', invalidToken('The access token could not be verified')),
    unsendable: r('SY_UNAUTHORIZED', 'The access token is invalid.', 'unsendable-claim', invalidToken('The access token is invalid')),
    scope: r('SY_FORBIDDEN', 'The access token does not grant the required scope.', 'insufficient-scope', `${challenge}, error="insufficient_scope", error_description="The access token does not grant the required scope", scope="${scopes.join(' ')}"`),
  });
}

/** A jose (or key set) failure → the answer. Anything unexpected is an invalid token (fail closed). */
function rejectionFor(error: unknown, rejects: Rejects): PolicyReject {
  if (error instanceof errors.JWTExpired) return rejects.expired;
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') return rejects.notYetValid;
  if (error instanceof JwksUnavailableError) return rejects.unverifiable;
  return rejects.invalid;
}
