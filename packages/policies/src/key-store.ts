/**
 * API-key consumers and where they live. A consumer is `{ id, metadata, tier }` with any number
 * of keys (Zuplo's consumers, Unkey's identities: every key of a consumer is the same caller);
 * a {@link KeyStore} finds the consumer of a key by the key's SHA-256 digest, never by the key.
 *
 * Why a plain SHA-256 and not a password hash: API keys are high-entropy random strings, so a
 * fast digest is enough (Unkey stores `sha256(key)`, unkeyed/unkey#84); a lookup keyed by the
 * digest leaks nothing useful through timing (`policies.md` §5.3), and a leaked store holds no
 * usable key.
 */
import { sha256Hex } from '@switchyard/limiter';

/** The caller an API key belongs to, as a {@link KeyStore} returns it. */
export interface Consumer {
  /** Unique consumer id: the identity's `sub`, and what per-consumer limits count by. */
  readonly id: string;
  /** Small metadata sent with every request (plan, tenant, …): the identity's `data`. Keep it small. */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  /** The consumer's tier (`free`, `enterprise`, …): `identity.data.tier`, read by `rate-limit`'s `tiers`. */
  readonly tier?: string | undefined;
}

/** A consumer with its keys, as given to {@link createMemoryKeyStore} (and the `api-key` option `consumers`). */
export interface ConsumerInput extends Consumer {
  /**
   * The consumer's keys: each either a plaintext key (hashed at construction, then forgotten)
   * or a digest written `sha256:<64 hex>` (what {@link digestApiKey} returns), which is what a
   * config file should hold.
   */
  readonly keys: readonly string[];
}

/**
 * Where consumers are found by key digest. `lookup` gets the lower-case hex SHA-256 of the
 * key ({@link digestApiKey} without the `sha256:` label) and returns the consumer, or
 * `undefined` for an unknown or revoked key; synchronously or as a promise. It must never be
 * given, store or log a plaintext key. A lookup that throws (or rejects) is a store failure:
 * the `api-key` policy answers 503 `SY_STORE_UNAVAILABLE` and caches nothing.
 *
 * Implementations: {@link createMemoryKeyStore} (one process, tests, small static sets) and
 * `createRedisKeyStore` in `@switchyard/redis` (shared by a fleet, one round trip per lookup).
 */
export interface KeyStore {
  lookup(digestHex: string): Consumer | undefined | Promise<Consumer | undefined>;
}

/** An in-memory {@link KeyStore} that answers synchronously and can be changed at run time. */
export interface MemoryKeyStore extends KeyStore {
  lookup(digestHex: string): Consumer | undefined;
  /** Adds or replaces a consumer and all its keys (keys it had before and no longer lists are dropped). */
  put(consumer: ConsumerInput): void;
  /** Revokes one key (plaintext or `sha256:` digest); true if it was known. */
  revokeKey(keyOrDigest: string): boolean;
  /** Removes a consumer and every key of it; true if it was known. */
  removeConsumer(id: string): boolean;
  /** Keys held. */
  readonly size: number;
}

/** The label of a digest in config: `sha256:` + 64 lower-case hex. */
const DIGEST_LABEL = 'sha256:';
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * The digest of an API key as a store keeps it: `sha256:` + the lower-case hex SHA-256 of the
 * key's UTF-8 bytes. Put this in config files and databases instead of the key.
 *
 * @example
 * ```ts
 * import { digestApiKey } from '@switchyard/policies';
 * digestApiKey('abc'); // 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 * ```
 */
export function digestApiKey(key: string): string {
  return DIGEST_LABEL + sha256Hex(key);
}

/**
 * The hex digest a store is looked up by, from a plaintext key or a `sha256:<hex>` digest.
 * A string that starts with `sha256:` but is not a well-formed digest is refused (a typo'd digest
 * in config would otherwise be taken for a plaintext key).
 */
export function digestHexOf(keyOrDigest: string): string {
  if (keyOrDigest.startsWith(DIGEST_LABEL)) {
    const lower = keyOrDigest.toLowerCase();
    if (!DIGEST.test(lower)) throw new TypeError('a key written sha256:... must be sha256: followed by 64 hex characters');
    return lower.slice(DIGEST_LABEL.length);
  }
  return sha256Hex(keyOrDigest);
}

/**
 * Creates an in-memory key store. Plaintext keys given here are hashed at once and not kept;
 * `sha256:<hex>` digests are taken as they are. Two consumers sharing a key, or a consumer id
 * given twice, is an error (the first problem is thrown as a `TypeError`).
 *
 * When to use: tests (with the fake clock and no external service: `policies.md` §7 #11),
 * single-process services with a small, static set of consumers. For a fleet, use
 * `createRedisKeyStore` from `@switchyard/redis`.
 *
 * @example
 * ```ts
 * import { createMemoryKeyStore } from '@switchyard/policies';
 * const store = createMemoryKeyStore([
 *   { id: 'acme', tier: 'enterprise', metadata: { plan: 'gold' }, keys: ['sk_test_acme'] },
 *   { id: 'bob', tier: 'free', keys: ['sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'] },
 * ]);
 * store.revokeKey('sk_test_acme');
 * ```
 */
export function createMemoryKeyStore(consumers: readonly ConsumerInput[] = []): MemoryKeyStore {
  // digest → consumer, consumer id → its digests.
  const byDigest = new Map<string, Consumer>();
  const keysOf = new Map<string, string[]>();

  function removeConsumer(id: string): boolean {
    const digests = keysOf.get(id);
    if (digests === undefined) return false;
    for (const d of digests) byDigest.delete(d);
    keysOf.delete(id);
    return true;
  }

  function put(input: ConsumerInput): void {
    if (typeof input.id !== 'string' || input.id === '') throw new TypeError('a consumer needs a non-empty id');
    const digests = input.keys.map(digestHexOf);
    for (const d of digests) {
      const holder = byDigest.get(d);
      if (holder !== undefined && holder.id !== input.id) throw new TypeError(`consumer ${JSON.stringify(input.id)} lists a key consumer ${JSON.stringify(holder.id)} already has`);
    }
    removeConsumer(input.id);
    const consumer: Consumer = Object.freeze({
      id: input.id,
      ...(input.metadata !== undefined ? { metadata: Object.freeze({ ...input.metadata }) } : {}),
      ...(input.tier !== undefined ? { tier: input.tier } : {}),
    });
    for (const d of digests) byDigest.set(d, consumer);
    keysOf.set(input.id, digests);
  }

  const seen = new Set<string>();
  for (const c of consumers) {
    if (seen.has(c.id)) throw new TypeError(`consumer ${JSON.stringify(c.id)} is given twice`);
    seen.add(c.id);
    put(c);
  }

  return {
    lookup: (digestHex) => byDigest.get(digestHex),
    put,
    revokeKey(keyOrDigest) {
      const d = digestHexOf(keyOrDigest);
      const consumer = byDigest.get(d);
      if (consumer === undefined) return false;
      byDigest.delete(d);
      const list = keysOf.get(consumer.id);
      if (list !== undefined) list.splice(list.indexOf(d), 1);
      return true;
    },
    removeConsumer,
    get size() {
      return byDigest.size;
    },
  };
}
