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
 */
import { murmur3, type SyRequest } from '@switchyard/core';

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
    case 'attribute': {
      const v = request.attributes[policy.name];
      return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
    }
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
  let hash: number | undefined;
  for (const p of policies) {
    const v = hashPolicyValue(p, request);
    if (v !== undefined) {
      const h = murmur3(v);
      hash = hash === undefined ? h : (((hash << 1) | (hash >>> 31)) ^ h) >>> 0;
    }
    if (p.terminal === true && hash !== undefined) break;
  }
  return hash;
}

/**
 * `computeRequestHash` specialised once for `policies` (internal: the hashing balancers call
 * it per pick). A single header policy, the common case, becomes one property read and one
 * hash; anything else defers to {@link computeRequestHash}. Undefined when there is no policy.
 */
export function compileRequestHash(policies: readonly HashPolicy[] | undefined): ((request: SyRequest) => number | undefined) | undefined {
  if (policies === undefined || policies.length === 0) return undefined;
  const only = policies[0] as HashPolicy;
  if (policies.length === 1 && only.kind === 'header') {
    const name = only.name;
    return (request) => {
      const v = request.headers[name];
      return v === undefined ? undefined : murmur3(v);
    };
  }
  const list = [...policies];
  return (request) => computeRequestHash(list, request);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      let v = part.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      return v;
    }
  }
  return undefined;
}

function queryValue(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key === name) return eq < 0 ? '' : part.slice(eq + 1);
  }
  return undefined;
}
