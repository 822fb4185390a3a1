/**
 * `api-key`: authenticates the caller by an API key (Zuplo's `api-key-inbound`, `policies.md`
 * §1.11 and §5.3). The key is read from a header (default `Authorization: Bearer <key>`) or a
 * query parameter; checked offline first (length, characters, prefix, checksum: a malformed key
 * is refused with no lookup); then its SHA-256 digest is looked up in a {@link KeyStore} (the
 * key itself is never given to the store, logged, put in attributes or used as a limiter key).
 *
 * Cache: results are cached for `cacheTtlMs` (default 60 000, Zuplo's `cacheTtlSeconds: 60`),
 * valid AND invalid ones, so a key flood costs one lookup per distinct key per TTL; the price is
 * the documented revocation lag: a revoked key keeps working for up to `cacheTtlMs`. The cache
 * is in this process's memory, keyed by the key (a hit hashes nothing), and holds at most
 * `cacheSize` keys (oldest inserted evicted first); only well-formed keys enter it.
 * A cache hit (or a synchronous store such as the in-memory one) answers synchronously, so a
 * pipeline of synchronous policies stays synchronous; only a miss on an asynchronous store
 * (Redis) returns a promise, and concurrent misses for one key share that lookup.
 *
 * Answers: success continues with `identity: { sub: consumer.id, data: { ...metadata, tier },
 * via: <policy name> }` and, unless `forwardKey`, the key header and query parameter removed
 * (Envoy `jwt_authn`'s `forward: false` default). No key: 401 (or, with `allowAnonymous`, continue
 * without identity: Envoy's `allow_missing`; a key that is present but invalid is still a 401).
 * Invalid key: 401. A consumer outside `allow`: 403. Store failure: 503 `SY_STORE_UNAVAILABLE`.
 *
 * `WWW-Authenticate` (RFC 9110 §11.6.1, RFC 6750 §3): for a key in `Authorization` with a scheme,
 * that scheme's challenge: `Bearer realm="api"` when no key was sent (RFC 6750 §3.1: no error
 * code then) and `Bearer realm="api", error="invalid_token"` for a bad one; for a key in another
 * header or the query, the same with the scheme `ApiKey` (not a registered scheme: there is no
 * standard one for API keys; it names the header or parameter in `in`/`name` auth-params so a
 * client can tell where the key goes).
 */
import { CONTINUE, ConfigError, definePolicy, type Identity, type InboundResult, type Policy, type PolicyContext, type PolicyDefinition, type PolicyReject, type SyRequest } from '@switchyard/core';
import { sha256Hex } from '@switchyard/limiter';
import * as v from 'valibot';
import { API_KEY_PREFIX, isWellFormedApiKey } from './api-key-format.js';
import { createMemoryKeyStore, type Consumer, type ConsumerInput, type KeyStore } from './key-store.js';
import { headerName, integerAtLeast, nonEmpty, options as optionsOf, realm, strict } from './internal/schema.js';
import { queryParam, withoutQueryParam } from './internal/query.js';

/** Which consumers may pass once authenticated (else 403): any listed tier OR any listed consumer id. */
export interface ApiKeyAllow {
  readonly tiers?: readonly string[] | undefined;
  readonly consumers?: readonly string[] | undefined;
}

/** Options of the `api-key` policy. */
export interface ApiKeyOptions {
  /** Header the key is read from (default `authorization`); `false` to read only the query. */
  readonly header?: string | false | undefined;
  /** Auth scheme in that header (default `Bearer` for `authorization`, none for other headers: the whole value is the key). */
  readonly scheme?: string | undefined;
  /** Query parameter the key may be read from (tried after the header). Keys in URLs end up in logs: prefer a header. */
  readonly query?: string | undefined;
  /** Key prefix (`[A-Za-z0-9]{1,16}`): keys without `<prefix>_` are refused with no lookup. */
  readonly prefix?: string | undefined;
  /** Require the CRC-32 checksum of {@link generateApiKey} keys: others are refused with no lookup (default false). */
  readonly checksum?: boolean | undefined;
  /** Longest key accepted, in characters (default 256); longer ones are refused with no lookup. */
  readonly maxKeyLength?: number | undefined;
  /** How long a lookup result (valid or invalid) is reused: the revocation lag (default 60 000; 0 = no cache). */
  readonly cacheTtlMs?: number | undefined;
  /** Most keys cached (default 10 000). */
  readonly cacheSize?: number | undefined;
  /** A request without a key continues without identity instead of a 401 (default false). An invalid key is still a 401. */
  readonly allowAnonymous?: boolean | undefined;
  /** `realm` of the `WWW-Authenticate` challenge (default `api`). */
  readonly realm?: string | undefined;
  /** Send the key upstream (default false: the header and query parameter are removed). */
  readonly forwardKey?: boolean | undefined;
  /** Authenticated consumers that may pass; others get 403 `SY_FORBIDDEN`. Omit to allow every valid key. */
  readonly allow?: ApiKeyAllow | undefined;
  /** Consumers inline (keys as `sha256:<hex>` digests in config files): an in-memory store is built from them. */
  readonly consumers?: readonly ConsumerInput[] | undefined;
  /** A key store (configs built in code); give `store` or `consumers`, not both. */
  readonly store?: KeyStore | undefined;
}

const consumerSchema = strict(
  {
    id: nonEmpty,
    metadata: v.optional(v.record(v.string(), v.unknown(), 'must be an object')),
    tier: v.optional(nonEmpty),
    keys: v.array(
      v.pipe(
        nonEmpty,
        v.check((k) => !k.startsWith('sha256:') || /^sha256:[0-9a-fA-F]{64}$/.test(k), 'must be sha256: followed by 64 hex characters (digestApiKey), or a plaintext key'),
      ),
      'must be a list of keys (sha256:<hex> digests or plaintext)',
    ),
  },
  'a consumer field (id, metadata, tier, keys)',
);

function isKeyStore(x: unknown): x is KeyStore {
  return typeof x === 'object' && x !== null && typeof (x as { lookup?: unknown }).lookup === 'function';
}

function apiKeySchema(type: string) {
  return optionsOf(type, {
    header: v.optional(v.union([headerName, v.literal(false)], 'must be a header name or false')),
    scheme: v.optional(v.pipe(v.string('must be a string'), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an auth scheme (a token, e.g. Bearer)'))),
    query: v.optional(v.pipe(v.string('must be a string'), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a parameter name (letters, digits, - _ . ~ and the like)'))),
    prefix: v.optional(v.pipe(v.string('must be a string'), v.regex(API_KEY_PREFIX, 'must be 1 to 16 letters or digits'))),
    checksum: v.optional(v.boolean('must be true or false')),
    maxKeyLength: v.optional(v.pipe(integerAtLeast(16), v.maxValue(8192, 'must be <= 8192'))),
    cacheTtlMs: v.optional(integerAtLeast(0)),
    cacheSize: v.optional(integerAtLeast(1)),
    allowAnonymous: v.optional(v.boolean('must be true or false')),
    realm: v.optional(realm),
    forwardKey: v.optional(v.boolean('must be true or false')),
    allow: v.optional(
      strict({ tiers: v.optional(v.array(nonEmpty, 'must be a list of tiers')), consumers: v.optional(v.array(nonEmpty, 'must be a list of consumer ids')) }, 'an allow field (tiers, consumers)'),
    ),
    consumers: v.optional(v.array(consumerSchema, 'must be a list of consumers')),
    store: v.optional(v.custom<KeyStore>(isKeyStore, 'must be a KeyStore (an object with a lookup function)')),
  });
}

/** What {@link apiKeyPolicy} fixes in code for a policy type (options in config cannot hold objects). */
export interface ApiKeyPolicyDefaults {
  /** The type name config refers to (default `api-key`). */
  readonly type?: string | undefined;
  /** The key store every instance of this type uses unless its options give `store` or `consumers`. */
  readonly store?: KeyStore | undefined;
}

/** A cached lookup: the consumer (undefined = no such key) and the identity built for it once. */
interface Entry {
  readonly identity: Identity | undefined;
  readonly allowed: boolean;
  readonly expiresAt: number;
}

/** A store failure, in the pending map and the async path (never cached). */
const FAILED = Symbol('failed');

/**
 * Makes an `api-key` policy type with a key store fixed in code, for configs (YAML, JSON) that
 * cannot hold a store object: register the result under its type and refer to it by name.
 *
 * @example
 * ```ts
 * import { apiKeyPolicy } from '@switchyard/policies';
 * import { createRedisKeyStore, fromIoredis } from '@switchyard/redis';
 * const keysInRedis = apiKeyPolicy({ type: 'api-key-redis', store: createRedisKeyStore({ client: fromIoredis(redis) }) });
 * // config: policies: { auth: { type: 'api-key-redis', options: { realm: 'orders' } } }
 * ```
 */
export function apiKeyPolicy(defaults: ApiKeyPolicyDefaults = {}): PolicyDefinition<ApiKeyOptions> {
  const type = defaults.type ?? 'api-key';
  return definePolicy<ApiKeyOptions>({
    type,
    summary: 'Authenticates the caller by an API key (header, bearer token or query parameter) looked up by its SHA-256 digest; 401 with WWW-Authenticate, 403 outside allow.',
    options: apiKeySchema(type),
    create: (options, deps) => createApiKey(type, options, deps.name, defaults.store),
  });
}

/**
 * The built-in `api-key` policy type (options: {@link ApiKeyOptions}). With only `consumers`
 * in config it uses an in-memory store; pass `store` from code, or register
 * {@link apiKeyPolicy}`({ store })`, for a shared one.
 *
 * @example
 * ```ts
 * import { apiKey, createMemoryKeyStore } from '@switchyard/policies';
 * const policies = {
 *   auth: { type: 'api-key', options: { store: createMemoryKeyStore([{ id: 'acme', tier: 'enterprise', keys: ['sk_live_…'] }]) } },
 * };
 * ```
 */
export const apiKey: PolicyDefinition<ApiKeyOptions> = apiKeyPolicy();

function createApiKey(type: string, o: ApiKeyOptions, name: string, defaultStore: KeyStore | undefined): Policy {
  if (o.store !== undefined && o.consumers !== undefined) throw new ConfigError([{ path: 'store', message: 'give store or consumers, not both' }]);
  let store = o.store ?? defaultStore;
  if (o.consumers !== undefined) {
    try {
      store = createMemoryKeyStore(o.consumers);
    } catch (e) {
      // A consumer id given twice, a key listed by two consumers, a malformed digest.
      throw new ConfigError([{ path: 'consumers', message: e instanceof Error ? e.message : String(e) }]);
    }
  }
  if (store === undefined) throw new ConfigError([{ path: 'consumers', message: 'api-key needs consumers (in config) or a store (in code, or through apiKeyPolicy({ store }))' }]);
  const header = o.header === undefined ? 'authorization' : o.header === false ? undefined : o.header.toLowerCase();
  const query = o.query;
  if (header === undefined && query === undefined) throw new ConfigError([{ path: 'header', message: 'with header: false, give query (there would be nowhere to read the key from)' }]);
  const scheme = o.scheme ?? (header === 'authorization' ? 'Bearer' : undefined);
  const schemeLower = scheme?.toLowerCase();
  const format = { prefix: o.prefix, checksum: o.checksum ?? false, maxLength: o.maxKeyLength ?? 256 };
  const ttl = o.cacheTtlMs ?? 60_000;
  const cacheSize = o.cacheSize ?? 10_000;
  const allowAnonymous = o.allowAnonymous ?? false;
  const forwardKey = o.forwardKey ?? false;
  const allowTiers = o.allow?.tiers === undefined ? undefined : new Set(o.allow.tiers);
  const allowConsumers = o.allow?.consumers === undefined ? undefined : new Set(o.allow.consumers);

  // The challenges and answers, built once (no allocation per refusal).
  const challengeScheme = scheme !== undefined && header !== undefined ? scheme : 'ApiKey';
  const where = challengeScheme === 'ApiKey' ? (header !== undefined ? `, in="header", name="${header}"` : `, in="query", name="${quoteSafe(query as string)}"`) : '';
  const base = `${challengeScheme} realm="${o.realm ?? 'api'}"${where}`;
  const missing = reject('SY_UNAUTHORIZED', 'Missing API key.', { 'www-authenticate': base });
  const invalid = reject('SY_UNAUTHORIZED', 'Invalid API key.', { 'www-authenticate': `${base}, error="invalid_token"` });
  const forbidden = reject('SY_FORBIDDEN', 'This API key is not allowed here.', challengeScheme === 'Bearer' ? { 'www-authenticate': `${base}, error="insufficient_scope"` } : undefined);
  const unavailable = reject('SY_STORE_UNAVAILABLE', 'The API key store is unavailable.', undefined);

  // Keyed by the key itself, in this process only (as Envoy's jwt_authn caches verified tokens by
  // the token): a hit then costs no SHA-256, which is most of a miss's CPU (`_policies-probe.ts` under
  // callgrind, benchmarks/HISTORY.md). The key never
  // leaves this Map: not to the store (digest only), attributes, logs, describe() or limiter keys.
  const cache = new Map<string, Entry>();
  const pending = new Map<string, Promise<Entry | typeof FAILED>>();

  function entryFor(consumer: Consumer | undefined, now: number): Entry {
    if (consumer === undefined) return { identity: undefined, allowed: false, expiresAt: now + ttl };
    const data: Record<string, unknown> = { ...consumer.metadata };
    if (consumer.tier !== undefined) data['tier'] = consumer.tier;
    const identity: Identity = Object.freeze({ sub: consumer.id, data: Object.freeze(data), via: name });
    const allowed =
      (allowTiers === undefined && allowConsumers === undefined) ||
      (allowTiers !== undefined && consumer.tier !== undefined && allowTiers.has(consumer.tier)) ||
      (allowConsumers !== undefined && allowConsumers.has(consumer.id));
    return { identity, allowed, expiresAt: now + ttl };
  }

  function remember(key: string, entry: Entry): void {
    if (ttl <= 0) return;
    cache.delete(key);
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
    cache.set(key, entry);
  }

  function answer(entry: Entry, request: SyRequest, inHeader: boolean): InboundResult {
    if (entry.identity === undefined) return invalid;
    if (!entry.allowed) return forbidden;
    return { kind: 'continue', identity: entry.identity, request: forwardKey ? undefined : strip(request, inHeader) };
  }

  /**
   * The request without the key's query parameter and, when it held the key (`inHeader`), the
   * key header: `Authorization: Basic …` next to a key in the query is someone else's credential
   * and is forwarded untouched.
   */
  function strip(request: SyRequest, inHeader: boolean): SyRequest | undefined {
    const hasHeader = inHeader;
    const q = query === undefined ? request.query : withoutQueryParam(request.query, query);
    if (!hasHeader && q === request.query) return undefined;
    let headers = request.headers;
    if (hasHeader) {
      // A copy without the field (no `delete`: it would turn the copy into a slow dictionary object).
      const copy: Record<string, string | undefined> = {};
      for (const k in headers) if (k !== header) copy[k] = headers[k];
      headers = copy;
    }
    return { ...request, headers, query: q };
  }

  /** The key in a value of the key header, `''` for a present but empty one, `undefined` for another scheme's credential. */
  function fromHeader(value: string): string | undefined {
    if (scheme === undefined) return trim(value);
    // `<scheme> <token>`, scheme case-insensitive (RFC 9110 §11.1); another scheme is not ours.
    const n = scheme.length;
    if (value.length > n && value.charCodeAt(n) === 32 && (value.startsWith(scheme) || value.slice(0, n).toLowerCase() === schemeLower)) return trim(value.slice(n + 1));
    if (value.length === n && value.toLowerCase() === schemeLower) return '';
    return undefined;
  }

  return {
    type,
    provides: ['identity'],
    describe: () =>
      `api-key from ${header !== undefined ? `header ${header}${scheme !== undefined ? ` (${scheme})` : ''}` : ''}${header !== undefined && query !== undefined ? ' or ' : ''}${query !== undefined ? `query ${query}` : ''}` +
      `${format.prefix !== undefined ? `, prefix ${format.prefix}_` : ''}${format.checksum ? ', checksum' : ''}, cache ${ttl} ms` +
      `${allowAnonymous ? ', anonymous allowed' : ''}${o.allow !== undefined ? ', allow list' : ''}${forwardKey ? ', key forwarded' : ''}`,
    inbound(request: SyRequest, ctx: PolicyContext): InboundResult | Promise<InboundResult> {
      // The key: header first, then query; `undefined` when there is none for this policy.
      let key: string | undefined;
      const value = header === undefined ? undefined : request.headers[header];
      if (value !== undefined) key = fromHeader(value);
      const inHeader = key !== undefined;
      if (key === undefined && query !== undefined) key = queryParam(request.query, query);
      if (key === undefined) return allowAnonymous ? CONTINUE : missing;
      const now = ctx.now;
      // The cache first: a hit costs a Map lookup, no checksum and no SHA-256 (the cache only
      // ever holds well-formed keys, so a hit needs no format check).
      const hit = cache.get(key);
      if (hit !== undefined) {
        if (hit.expiresAt > now) return answer(hit, request, inHeader);
        cache.delete(key);
      }
      if (!isWellFormedApiKey(key, format)) return invalid;
      const inFlight = pending.get(key);
      if (inFlight !== undefined) return inFlight.then((e) => (e === FAILED ? unavailable : answer(e, request, inHeader)));
      let found: Consumer | undefined | Promise<Consumer | undefined>;
      try {
        found = store.lookup(sha256Hex(key));
      } catch {
        return unavailable;
      }
      if (!(found instanceof Promise)) {
        const entry = entryFor(found, now);
        remember(key, entry);
        return answer(entry, request, inHeader);
      }
      const lookup = found.then(
        (c): Entry => {
          const entry = entryFor(c, now);
          remember(key, entry);
          return entry;
        },
        (): typeof FAILED => FAILED,
      );
      const shared = lookup.finally(() => pending.delete(key));
      pending.set(key, shared);
      return shared.then((e) => (e === FAILED ? unavailable : answer(e, request, inHeader)));
    },
    close() {
      cache.clear();
    },
  };
}

/** `s` without surrounding whitespace; `s` itself (no copy) in the usual case where there is none. */
function trim(s: string): string {
  const n = s.length;
  return n > 0 && s.charCodeAt(0) > 32 && s.charCodeAt(n - 1) > 32 ? s : s.trim();
}

function reject(code: PolicyReject['code'], message: string, headers: Record<string, string> | undefined): PolicyReject {
  return Object.freeze({ kind: 'reject', code, message, ...(headers !== undefined ? { headers: Object.freeze(headers) } : {}) });
}

/** A query parameter name inside a quoted-string: `"` and `\` escaped (RFC 9110 §5.6.4). */
function quoteSafe(s: string): string {
  return s.replace(/[\\"]/g, (c) => `\\${c}`);
}
