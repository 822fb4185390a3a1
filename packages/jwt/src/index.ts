/**
 * `@switchyard/jwt`: the `jwt` policy for switchyard, on jose. Pinned algorithms (`none`
 * refused), `exp` required by default, one 60 s clock skew, remote key sets fetched through the
 * gateway's transport and cached with a cooldown, time from the injected clock; claims become
 * the caller's identity, request attributes and upstream headers; the token is stripped before
 * forwarding. Runs on Node, Bun, Deno and edge workers.
 *
 * @packageDocumentation
 */
export { jwtPolicy, createJwtPolicy, parseJwtOptions, MAX_TOKEN_LENGTH } from './jwt-policy.js';
export type { JwtRejectReason } from './jwt-policy.js';
export { jwtOptionsSchema, JWS_ALGORITHMS } from './options.js';
export type { JwtPolicyInput, JwtPolicyOptions, JwtProviderInput, JwtProviderOptions, JwtTokenSource, JwtJwk, JwtJwks, JwsAlgorithm } from './options.js';
export { createRemoteJwks, JwksUnavailableError, MAX_JWKS_BYTES } from './remote-jwks.js';
export type { RemoteJwks, RemoteJwksOptions } from './remote-jwks.js';
