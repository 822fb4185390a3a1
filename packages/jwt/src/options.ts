/**
 * The `jwt` policy's options, as a valibot schema (valibot 1.x implements Standard Schema, so
 * the gateway validates them like any policy's and reports problems by path). Defaults are
 * filled here, once, so the policy reads plain values.
 *
 * Sources for the rules: RFC 8725 (JWT BCP) §3.1 (pin algorithms, never `none`), §3.8/§3.9
 * (validate `iss` and `aud`), §3.11 (explicit `typ`); RFC 7518 §3.2 (an HMAC key at least as
 * long as the hash output); RFC 6750 §3 (`WWW-Authenticate` quoted-string values); RFC 6749
 * §3.3 (scope tokens); Envoy `jwt_authn` (`clock_skew_seconds` 60, `forward: false`,
 * `claim_to_headers`, `from_headers`/`from_params`/`from_cookies`, `failed_refetch_duration`
 * 1 s); jose `createRemoteJWKSet` (`cacheMaxAge` 600 000, `cooldownDuration` 30 000,
 * `timeoutDuration` 5 000).
 *
 * @module
 */
import * as v from 'valibot';

/**
 * The JWS algorithms a provider may pin (what jose 6 verifies on every runtime it supports).
 * `none` is not one of them: an unsecured JWT is never accepted (RFC 8725 §3.1).
 */
export const JWS_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

/** One of {@link JWS_ALGORITHMS}. */
export type JwsAlgorithm = (typeof JWS_ALGORITHMS)[number];

const HMAC_MIN_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };

/** Headers a claim must never be written to: the message framing and the hop-by-hop fields. */
const FORBIDDEN_CLAIM_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'cookie', 'authorization']);

/** RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6749 §3.3 scope-token: `1*( %x21 / %x23-5B / %x5D-7E )`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** What may sit inside an RFC 9110 quoted-string without escaping (no `"`, `\` or controls). */
const QUOTABLE = /^[\t\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** The message of an object schema's own issues: not an object, a missing key, an unknown key. */
function objectMessage(what: string): (issue: v.BaseIssue<unknown>) => string {
  return (issue) => {
    if (issue.expected === 'never') return 'unknown option';
    if (issue.path !== undefined && issue.path.length > 0 && issue.received === 'undefined') return 'required';
    return `${what} must be an object`;
  };
}

const nonEmpty = (what: string) => v.pipe(v.string(`${what} must be a string`), v.minLength(1, `${what} must not be empty`));
const positiveMs = (what: string) => v.pipe(v.number(`${what} must be a number of milliseconds`), v.integer(`${what} must be an integer`), v.minValue(0, `${what} must be >= 0`));

const algorithm = v.picklist(JWS_ALGORITHMS, (issue) =>
  issue.input === 'none'
    ? 'alg "none" is refused: an unsecured JWT proves nothing (RFC 8725 §3.1)'
    : `must be one of ${JWS_ALGORITHMS.join(', ')}, got ${JSON.stringify(issue.input)}`,
);

const jwk = v.looseObject(
  {
    kty: nonEmpty('kty'),
    kid: v.optional(v.string('kid must be a string')),
    alg: v.optional(v.string('alg must be a string')),
    use: v.optional(v.string('use must be a string')),
  },
  'must be a JSON Web Key object',
);

const providerEntries = {
  issuer: nonEmpty('issuer'),
  audiences: v.optional(v.pipe(v.array(nonEmpty('an audience'), 'audiences must be an array of strings'), v.minLength(1, 'audiences must not be empty (omit it to skip the check)'))),
  jwksUri: v.optional(nonEmpty('jwksUri')),
  jwks: v.optional(v.object({ keys: v.array(jwk, 'keys must be an array of JWKs') }, 'jwks must be a JSON Web Key Set ({ keys: [...] })')),
  secret: v.optional(nonEmpty('secret')),
  algorithms: v.pipe(v.array(algorithm, 'algorithms must be an array of JWS algorithm names'), v.minLength(1, 'algorithms must name at least one algorithm (RFC 8725 §3.1)')),
  typ: v.optional(nonEmpty('typ')),
  requiredClaims: v.optional(v.array(nonEmpty('a claim name'), 'requiredClaims must be an array of claim names'), []),
  subjectClaim: v.optional(nonEmpty('subjectClaim'), 'sub'),
  cacheMaxAgeMs: v.optional(positiveMs('cacheMaxAgeMs'), 600_000),
  cooldownMs: v.optional(positiveMs('cooldownMs'), 30_000),
  failedRefetchMs: v.optional(positiveMs('failedRefetchMs'), 1_000),
  timeoutMs: v.optional(v.pipe(positiveMs('timeoutMs'), v.minValue(1, 'timeoutMs must be >= 1')), 5_000),
};

const provider = v.pipe(
  v.strictObject(providerEntries, objectMessage('a provider')),
  v.check((p) => [p.jwksUri, p.jwks, p.secret].filter((s) => s !== undefined).length === 1, 'exactly one of jwksUri, jwks and secret must be set'),
  v.forward(
    v.check((p) => p.secret === undefined || p.algorithms.every((a) => a.startsWith('HS')), 'a secret verifies HS256/HS384/HS512 only: an asymmetric algorithm beside a shared secret invites algorithm confusion (RFC 8725 §2.1)'),
    ['algorithms'],
  ),
  v.forward(
    v.check((p) => p.secret !== undefined || p.algorithms.every((a) => !a.startsWith('HS')), 'HS* algorithms need a secret: a JWKS provider pins asymmetric algorithms only (RFC 8725 §2.1)'),
    ['algorithms'],
  ),
  v.forward(
    v.check((p) => p.secret === undefined || utf8Length(p.secret) >= Math.max(...p.algorithms.map((a) => HMAC_MIN_BYTES[a] ?? 0)), 'the secret must be at least as long as the hash output: 32 bytes for HS256, 48 for HS384, 64 for HS512 (RFC 7518 §3.2)'),
    ['secret'],
  ),
  v.forward(v.check((p) => p.jwksUri === undefined || jwksUriProblem(p.jwksUri) === undefined, (issue) => jwksUriProblem(String((issue.input as { jwksUri?: unknown }).jwksUri)) ?? 'invalid jwksUri'), ['jwksUri']),
  v.forward(v.check((p) => p.jwks === undefined || p.jwks.keys.every((k) => !('d' in k) && !('k' in k) && !('p' in k)), 'jwks must hold public keys only (no "d", "p" or "k" members): private and secret keys do not belong in config'), ['jwks']),
);

const tokenSource = v.variant(
  'from',
  [
    v.strictObject({ from: v.literal('bearer') }, objectMessage('token')),
    v.strictObject({
      from: v.literal('header'),
      name: v.pipe(nonEmpty('name'), v.regex(TOKEN, 'name must be a header name (an RFC 9110 token)')),
      prefix: v.optional(v.string('prefix must be a string')),
    }, objectMessage('token')),
    v.strictObject({ from: v.literal('cookie'), name: v.pipe(nonEmpty('name'), v.regex(TOKEN, 'name must be a cookie name (an RFC 6265 token)')) }, objectMessage('token')),
    v.strictObject({ from: v.literal('query'), name: nonEmpty('name') }, objectMessage('token')),
  ],
  'token.from must be one of bearer, header, cookie, query',
);

const headerName = v.pipe(
  v.string('a header name must be a string'),
  v.regex(TOKEN, 'must be a header name (an RFC 9110 token)'),
  v.check((n) => !FORBIDDEN_CLAIM_HEADERS.has(n.toLowerCase()), 'cannot carry a claim (framing, hop-by-hop or credential header)'),
);

// The options are documented on the interfaces below; `options.test.ts` checks that they are
// the schema's inferred input and output types.
const schema = v.strictObject(
  {
    providers: v.pipe(
      v.array(provider, 'providers must be an array'),
      v.minLength(1, 'providers must name at least one issuer'),
      v.check((ps) => new Set(ps.map((p) => p.issuer)).size === ps.length, 'two providers have the same issuer: the issuer picks the provider, so it must be unique'),
    ),
    requireExp: v.optional(v.boolean('requireExp must be a boolean'), true),
    clockSkewSeconds: v.optional(v.pipe(v.number('clockSkewSeconds must be a number'), v.integer('clockSkewSeconds must be an integer'), v.minValue(0, 'clockSkewSeconds must be >= 0'), v.maxValue(600, 'clockSkewSeconds must be <= 600')), 60),
    token: v.optional(tokenSource, { from: 'bearer' }),
    forwardToken: v.optional(v.boolean('forwardToken must be a boolean'), false),
    claimsToAttributes: v.optional(v.record(nonEmpty('a claim name'), nonEmpty('an attribute name'), 'claimsToAttributes must map claim names to attribute names'), {}),
    claimsToHeaders: v.optional(v.record(nonEmpty('a claim name'), headerName, 'claimsToHeaders must map claim names to header names'), {}),
    requiredScopes: v.optional(v.array(v.pipe(v.string(), v.regex(SCOPE_TOKEN, 'a scope is an RFC 6749 §3.3 scope-token (no space, quote or backslash)')), 'requiredScopes must be an array of scopes'), []),
    allowAnonymous: v.optional(v.boolean('allowAnonymous must be a boolean'), false),
    realm: v.optional(v.pipe(v.string('realm must be a string'), v.regex(QUOTABLE, 'realm must not contain a double quote, a backslash or a control character')), 'api'),
    verifiedCacheSize: v.optional(v.pipe(v.number('verifiedCacheSize must be a number'), v.integer('verifiedCacheSize must be an integer'), v.minValue(0, 'verifiedCacheSize must be >= 0'), v.maxValue(1_000_000, 'verifiedCacheSize must be <= 1000000')), 0),
  },
  objectMessage('the jwt options'),
);

/**
 * The valibot schema of the `jwt` policy's options (a Standard Schema): validates a
 * {@link JwtPolicyInput}, fills the defaults and returns {@link JwtPolicyOptions}.
 */
export const jwtOptionsSchema: v.GenericSchema<JwtPolicyInput, JwtPolicyOptions> = schema;

/** A public JSON Web Key of an inline key set (RFC 7517 §4); members beyond these are kept. */
export interface JwtJwk {
  /** Key type (`EC`, `RSA`, `OKP`). */
  kty: string;
  /** Key id, matched against the token's `kid` header. */
  kid?: string | undefined;
  /** The algorithm this key is for. */
  alg?: string | undefined;
  /** `sig` for a signing key. */
  use?: string | undefined;
  /** Any other member of the key (`crv`, `x`, `y`, `n`, `e`...; never `d`, `p` or `k`: public keys only). */
  [member: string]: unknown;
}

/** An inline JSON Web Key Set (RFC 7517 §5). */
export interface JwtJwks {
  /** The public keys. */
  keys: JwtJwk[];
}

/**
 * One token issuer, as written in config: exactly one of `jwksUri`, `jwks` and `secret`; a
 * secret for the HS* algorithms only, at least as long as the hash output (RFC 7518 §3.2).
 */
export interface JwtProviderInput {
  /** Exact match on the `iss` claim (also how the provider is chosen when there are several). */
  issuer: string;
  /** The token's `aud` must contain at least one of these (Envoy, jose). Unset: not checked. */
  audiences?: string[] | undefined;
  /** An `https:` URL of a JSON Web Key Set (`http:` only for a loopback host). */
  jwksUri?: string | undefined;
  /** An inline JSON Web Key Set (public keys only). */
  jwks?: JwtJwks | undefined;
  /** A shared HMAC secret (UTF-8), for the HS* algorithms only. */
  secret?: string | undefined;
  /** Required: the algorithms this provider's tokens may use (RFC 8725 §3.1). */
  algorithms: JwsAlgorithm[];
  /** Expected `typ` header (RFC 8725 §3.11), e.g. `at+jwt` (RFC 9068); compared as jose does (`application/` optional). */
  typ?: string | undefined;
  /** Claims that must be present (besides `exp`, `iss` and the subject claim, always required); default none. */
  requiredClaims?: string[] | undefined;
  /** The claim that names the caller (`identity.sub`); default `sub`. */
  subjectClaim?: string | undefined;
  /** How long a fetched JWKS is used before it is fetched again (ms); default 600 000 (jose, Envoy). */
  cacheMaxAgeMs?: number | undefined;
  /** Least time between a successful fetch and a refetch for an unknown `kid` (ms); default 30 000 (jose). */
  cooldownMs?: number | undefined;
  /** Least time between a failed fetch and the next try (ms); default 1 000 (Envoy `failed_refetch_duration`). */
  failedRefetchMs?: number | undefined;
  /** Longest a JWKS fetch may take, body included (ms); default 5 000 (jose). */
  timeoutMs?: number | undefined;
}

/** One provider, validated: a {@link JwtProviderInput} with every default filled in. */
export interface JwtProviderOptions extends Omit<JwtProviderInput, 'requiredClaims' | 'subjectClaim' | 'cacheMaxAgeMs' | 'cooldownMs' | 'failedRefetchMs' | 'timeoutMs'> {
  /** Claims that must be present (besides `exp`, `iss` and the subject claim). */
  requiredClaims: string[];
  /** The claim that names the caller (`identity.sub`). */
  subjectClaim: string;
  /** How long a fetched JWKS is used before it is fetched again (ms). */
  cacheMaxAgeMs: number;
  /** Least time between a successful fetch and a refetch for an unknown `kid` (ms). */
  cooldownMs: number;
  /** Least time between a failed fetch and the next try (ms). */
  failedRefetchMs: number;
  /** Longest a JWKS fetch may take, body included (ms). */
  timeoutMs: number;
}

/**
 * Where the token is read from. Default: `Authorization: Bearer <token>` (RFC 6750 §2.1); else
 * a header (with an optional `prefix`, compared case-insensitively and removed with the spaces
 * after it), a cookie or a query parameter.
 */
export type JwtTokenSource = { from: 'bearer' } | { from: 'header'; name: string; prefix?: string | undefined } | { from: 'cookie'; name: string } | { from: 'query'; name: string };

/** The `jwt` policy's options as written in config (defaults not yet applied). */
export interface JwtPolicyInput {
  /** One or more token issuers (each `issuer` once); the unverified `iss` picks one, whose keys then verify the token. */
  providers: JwtProviderInput[];
  /** Refuse tokens without `exp` (default true; jose alone accepts them, Envoy's `require_expiration` refuses). */
  requireExp?: boolean | undefined;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds, 0 to 600; default 60 (Envoy's `clock_skew_seconds`). */
  clockSkewSeconds?: number | undefined;
  /** Where the token is read from; default `{ from: 'bearer' }`. */
  token?: JwtTokenSource | undefined;
  /** Forward the token to the upstream (default false: removed, as Envoy's `forward: false`). */
  forwardToken?: boolean | undefined;
  /** `{ claim: attributeName }`: claim values (any JSON) as request attributes. Dotted names reach nested claims. */
  claimsToAttributes?: { [claim: string]: string } | undefined;
  /** `{ claim: headerName }`: string, number and boolean claims as upstream request headers (never framing, hop-by-hop or credential headers). */
  claimsToHeaders?: { [claim: string]: string } | undefined;
  /** Scopes the token must grant (all of them), from `scope` (space-separated) or `scp` (array or string): else 403. */
  requiredScopes?: string[] | undefined;
  /** Let requests without a token through without an identity (a present but invalid token is still refused). */
  allowAnonymous?: boolean | undefined;
  /** The `realm` of `WWW-Authenticate` (RFC 6750 §3); default `api`. */
  realm?: string | undefined;
  /** Verified tokens remembered (LRU), 0 = off (default), at most 1 000 000. See the README for when it is safe. */
  verifiedCacheSize?: number | undefined;
}

/** The options after validation, every default filled in: what `create` receives. */
export interface JwtPolicyOptions {
  /** The token issuers, validated. */
  providers: JwtProviderOptions[];
  /** Refuse tokens without `exp`. */
  requireExp: boolean;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. */
  clockSkewSeconds: number;
  /** Where the token is read from. */
  token: JwtTokenSource;
  /** Forward the token to the upstream. */
  forwardToken: boolean;
  /** `{ claim: attributeName }`. */
  claimsToAttributes: { [claim: string]: string };
  /** `{ claim: headerName }`. */
  claimsToHeaders: { [claim: string]: string };
  /** Scopes the token must grant (all of them). */
  requiredScopes: string[];
  /** Let requests without a token through without an identity. */
  allowAnonymous: boolean;
  /** The `realm` of `WWW-Authenticate`. */
  realm: string;
  /** Verified tokens remembered (LRU), 0 = off. */
  verifiedCacheSize: number;
}

/**
 * The schema's own inferred types, for the type test that they are the interfaces above.
 * @internal
 */
export type InferredJwtOptions = { readonly input: v.InferInput<typeof schema>; readonly output: v.InferOutput<typeof schema> };

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Why a `jwksUri` is refused, or undefined. */
export function jwksUriProblem(uri: string): string | undefined {
  const m = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[^/?#@\s[\]:]+)(:\d{1,5})?(\/[^#\s]*)?$/.exec(uri);
  if (m === null) return 'jwksUri must be an absolute http(s) URL without credentials or fragment';
  const host = (m[2] ?? '').toLowerCase();
  const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  // RFC 8725 §3.10 and the jose docs: whoever can change the key set can mint any token, so
  // the set comes over TLS; plain http only for an identity provider on this machine.
  if (m[1] === 'http' && !loopback) return 'jwksUri must use https (http only for a loopback host): whoever can alter the key set can mint tokens';
  return undefined;
}
