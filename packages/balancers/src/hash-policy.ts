/**
 * Hash policies: which request property a hashing balancer ({@link ringHash}, {@link maglev})
 * keys on, as Envoy's `RouteAction.hash_policy` (semantics.md §1.1) and gRPC A42 combine them:
 *
 *     hash = undefined
 *     for each policy: h = hash(policy)
 *       if h defined: hash = hash undefined ? h : rotl(hash, 1) ^ h
 *       if policy.terminal and hash defined: stop
 *
 * Each value is hashed with core's `murmur3` (UTF-8 MurmurHash3 x86_32; computed by an
 * ASCII fast path with identical output), so a key maps to the same endpoint in every process
 * and runtime. When every policy yields nothing, the
 * balancer picks at random (Envoy's behaviour).
 *
 * With `compatibility: 'envoy'` the balancers hash as Envoy does instead: XXH64 of each value's
 * bytes and a 64-bit combination (`computeEnvoyRequestHash`), so that an Envoy with the same
 * `hash_policy` gets the same hash for the same request.
 */
import { attributeText, cookieValue, murmur3, queryValue, type SyRequest } from '@switchyard/core';
import { XXH64_OUT, xxh64String } from './xxhash64.js';

/** One hash policy. `terminal: true` stops evaluation once a hash exists. */
export type HashPolicy =
  | { readonly kind: 'header'; readonly name: string; readonly terminal?: boolean }
  | { readonly kind: 'cookie'; readonly name: string; readonly terminal?: boolean }
  | { readonly kind: 'query-parameter'; readonly name: string; readonly terminal?: boolean }
  | { readonly kind: 'source-ip'; readonly terminal?: boolean }
  | { readonly kind: 'attribute'; readonly name: string; readonly terminal?: boolean };

/** Hash on a request header (lower-cased name); absent ⇒ no hash. */
export function hashByHeader(name: string, terminal = false): HashPolicy {
  return { kind: 'header', name: name.toLowerCase(), terminal };
}
/** Hash on a cookie's value; absent ⇒ no hash (Envoy's cookie generation is the gateway's job). */
export function hashByCookie(name: string, terminal = false): HashPolicy {
  return { kind: 'cookie', name, terminal };
}
/** Hash on the first value of a query parameter (case-sensitive name, raw value). */
export function hashByQueryParameter(name: string, terminal = false): HashPolicy {
  return { kind: 'query-parameter', name, terminal };
}
/** Hash on the client's address (`SyRequest.clientAddress`, the TCP peer). */
export function hashBySourceIp(terminal = false): HashPolicy {
  return { kind: 'source-ip', terminal };
}
/** Hash on a request attribute (strings, numbers and booleans). */
export function hashByAttribute(name: string, terminal = false): HashPolicy {
  return { kind: 'attribute', name, terminal };
}

/**
 * The string a policy reads from `request`, or undefined when the property is absent.
 *
 * @example
 * ```ts
 * import { hashByCookie, hashPolicyValue } from '@switchyard/balancers';
 * hashPolicyValue(hashByCookie('session'), req); // 'abc' for `cookie: a=1; session=abc`
 * ```
 */
export function hashPolicyValue(policy: HashPolicy, request: SyRequest): string | undefined {
  switch (policy.kind) {
    case 'header':
      return request.headers[policy.name];
    case 'cookie':
      return cookieValue(request.headers['cookie'], policy.name);
    case 'query-parameter':
      return queryValue(request.query, policy.name);
    case 'source-ip':
      return request.clientAddress;
    case 'attribute':
      return attributeText(request, policy.name);
  }
}

/**
 * The combined 32-bit hash of `request` under `policies`, or undefined if none applied.
 *
 * @example
 * ```ts
 * import { computeRequestHash, hashByHeader, hashBySourceIp } from '@switchyard/balancers';
 * const hash = computeRequestHash([hashByHeader('x-user', true), hashBySourceIp()], req);
 * lb.pick(state, { eligible, now, rng, hash });
 * ```
 */
export function computeRequestHash(policies: readonly HashPolicy[], request: SyRequest): number | undefined {
  return combineHashes(policies, request, murmur3);
}

/** The combination of the file comment, each value hashed with `hash`. */
function combineHashes(policies: readonly HashPolicy[], request: SyRequest, hash: (key: string) => number): number | undefined {
  let combined: number | undefined;
  for (const p of policies) {
    const v = hashPolicyValue(p, request);
    if (v !== undefined) {
      const h = hash(v);
      combined = combined === undefined ? h : (((combined << 1) | (combined >>> 31)) ^ h) >>> 0;
    }
    if (p.terminal === true && combined !== undefined) break;
  }
  return combined;
}

/**
 * `computeRequestHash` specialised once for `policies` (internal: the hashing balancers call
 * it per pick), hashing each value through `hash` (murmur3 or a {@link createHashMemo} of it).
 * A single header policy, the common case, becomes one property read and one hash; anything
 * else runs the general combination. Undefined when there is no policy.
 */
export function compileRequestHash(policies: readonly HashPolicy[] | undefined, hash: (key: string) => number = murmur3): ((request: SyRequest) => number | undefined) | undefined {
  if (policies === undefined || policies.length === 0) return undefined;
  const only = policies[0] as HashPolicy;
  if (policies.length === 1 && only.kind === 'header') {
    const name = only.name;
    // murmur3 called by name, not through `hash`: a call site of its own that V8 inlines,
    // whatever other memo configurations the process runs.
    if (hash === murmur3) {
      return (request) => {
        const v = request.headers[name];
        return v === undefined ? undefined : murmur3(v);
      };
    }
    return (request) => {
      const v = request.headers[name];
      return v === undefined ? undefined : hash(v);
    };
  }
  const list = [...policies];
  return (request) => combineHashes(list, request, hash);
}

/**
 * The last Envoy request hash computed by a {@link compileEnvoyRequestHash} function:
 * `[high, low]` unsigned 32-bit halves (internal; a typed array, so nothing is boxed).
 */
export const ENVOY_HASH = new Uint32Array(2);

/**
 * The value Envoy hashes for `policy` (`source/common/http/hash_policy.cc`), or undefined when it
 * yields no hash: a header that is present (even empty); a cookie by Envoy's parser
 * (`Utility::parseCookieValue`: `;`-separated, name from the first non-space to `=`, value as
 * is, surrounding double quotes removed; an empty value yields no hash); the first value of a
 * query parameter, undecoded (`QueryParamsMulti::parseQueryString`; present without `=` is
 * `''`); the client address (empty yields none); an attribute's string form.
 */
function envoyPolicyValue(policy: HashPolicy, request: SyRequest): string | undefined {
  switch (policy.kind) {
    case 'cookie': {
      const v = cookieValue(request.headers['cookie'], policy.name);
      return v === '' ? undefined : v;
    }
    case 'source-ip': {
      const a = request.clientAddress;
      return a === '' ? undefined : a;
    }
    default:
      return hashPolicyValue(policy, request);
  }
}

/**
 * Envoy's combination (`HashPolicyImpl::generateHash`): each value hashed with XXH64 (seed 0),
 * `hash = rotl64(hash, 1) ^ h` from the second on, `terminal` stops once a hash exists. Header,
 * cookie and query values are hashed as the bytes they arrived as (one byte per character, as
 * Node and the Fetch `Headers` decode them); attributes as UTF-8. Leaves the result in
 * {@link ENVOY_HASH}; false when no policy applied.
 */
function envoyCombine(policies: readonly HashPolicy[], request: SyRequest): boolean {
  let has = false;
  let hH = 0;
  let hL = 0;
  for (const p of policies) {
    const v = envoyPolicyValue(p, request);
    if (v !== undefined) {
      xxh64String(v, 0, 0, p.kind !== 'attribute');
      if (has) {
        const rH = (hH << 1) | (hL >>> 31);
        const rL = (hL << 1) | (hH >>> 31);
        hH = rH ^ (XXH64_OUT[0] as number);
        hL = rL ^ (XXH64_OUT[1] as number);
      } else {
        hH = XXH64_OUT[0] as number;
        hL = XXH64_OUT[1] as number;
        has = true;
      }
    }
    if (p.terminal === true && has) break;
  }
  ENVOY_HASH[0] = hH;
  ENVOY_HASH[1] = hL;
  return has;
}

/**
 * Envoy's 64-bit hash of `request` under `policies` (see `envoyCombine` above), or undefined
 * when none applied. What an Envoy with the same `hash_policy` computes for the same request.
 *
 * @example
 * ```ts
 * import { computeEnvoyRequestHash, hashByHeader } from '@switchyard/balancers';
 * computeEnvoyRequestHash([hashByHeader('x-user')], req); // XXH64 of the header value, a BigInt
 * ```
 */
export function computeEnvoyRequestHash(policies: readonly HashPolicy[], request: SyRequest): bigint | undefined {
  if (!envoyCombine(policies, request)) return undefined;
  return (BigInt(ENVOY_HASH[0] as number) << 32n) | BigInt(ENVOY_HASH[1] as number);
}

/**
 * {@link computeEnvoyRequestHash} specialised once for `policies` (internal): returns whether a
 * hash was produced and leaves it in {@link ENVOY_HASH} (no allocation). A single header
 * policy is one property read and one XXH64. Undefined when there is no policy.
 */
export function compileEnvoyRequestHash(policies: readonly HashPolicy[] | undefined): ((request: SyRequest) => boolean) | undefined {
  if (policies === undefined || policies.length === 0) return undefined;
  const only = policies[0] as HashPolicy;
  if (policies.length === 1 && only.kind === 'header') {
    const name = only.name;
    return (request) => {
      const v = request.headers[name];
      if (v === undefined) return false;
      xxh64String(v, 0, 0, true);
      ENVOY_HASH[0] = XXH64_OUT[0] as number;
      ENVOY_HASH[1] = XXH64_OUT[1] as number;
      return true;
    };
  }
  const list = [...policies];
  return (request) => envoyCombine(list, request);
}

/** Keys longer than this are hashed every time, never remembered (bounds retained memory). */
export const HASH_MEMO_MAX_KEY_LENGTH = 128;

/**
 * A bounded memo of `murmur3` over strings (internal; the hashing balancers' `hashCacheSize`).
 * It answers exactly `murmur3(key)`, only faster for a key seen recently: a hit is one `Map`
 * probe, whose string hash V8 computes natively (and caches on the string object) instead of
 * murmur3's per-character loop.
 *
 * Two generations of at most `size` keys each (`young`, `old`): a miss is inserted into `young`;
 * when `young` is full it becomes `old` and a new `young` starts; a key found in `old` is
 * promoted. So at most 2 × `size` keys of at most {@link HASH_MEMO_MAX_KEY_LENGTH} characters
 * are retained. When a generation ends with fewer than 3 hits per insertion (below a 75 % hit
 * rate, where a miss's extra cost outweighs what hits save), both generations are dropped and
 * the next 16 × `size` keys go straight to murmur3 before the memo tries again: with keys that
 * never repeat, the memo costs a few percent on average.
 */
export function createHashMemo(size: number): HashMemo {
  let young = new Map<string, number>();
  let old = new Map<string, number>();
  let hits = 0;
  let bypass = 0;
  const hash = (key: string): number => {
    if (bypass > 0) {
      bypass--;
      return murmur3(key);
    }
    let h = young.get(key);
    if (h !== undefined) {
      hits++;
      return h;
    }
    if (key.length > HASH_MEMO_MAX_KEY_LENGTH) return murmur3(key);
    h = old.get(key);
    if (h === undefined) h = murmur3(key);
    if (young.size >= size) {
      if (hits < 3 * size) {
        old = new Map();
        young = new Map();
        hits = 0;
        bypass = 16 * size;
        return h;
      }
      old = young;
      young = new Map();
      hits = 0;
    }
    young.set(key, h);
    return h;
  };
  return Object.assign(hash, { retained: () => young.size + old.size });
}

/** `murmur3` behind a bounded memo; `retained()` counts the keys it holds (≤ 2 × size). */
export interface HashMemo {
  (key: string): number;
  retained(): number;
}

