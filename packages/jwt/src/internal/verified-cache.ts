/**
 * A bounded LRU of tokens that verified, keyed by the token string (Envoy `jwt_cache_config`,
 * off by default there too). A hit skips the signature check, so an entry is only used while
 * everything that made the token valid still holds:
 * - the wall clock is before the token's `exp` (never past it, whatever the clock skew);
 * - the key set it verified against is the same (`generation`) and still fresh: a key the
 *   issuer removed stops verifying cached tokens when the set would have been refetched;
 * - only successes are stored, so a flood of bad tokens cannot fill or probe it; a flood of
 *   good ones only evicts older entries (the size bounds memory: about one token string and
 *   its claims per entry).
 *
 * @module
 */

/** The cache, generic over what a verified token yields. */
export interface VerifiedCache<T> {
  /**
   * The value for `token` if stored, not expired at `wallNow`, and `valid(owner, generation)`
   * still says yes; a stale entry is dropped. A hit becomes the most recently used.
   */
  get(token: string, wallNow: number, valid: (owner: unknown, generation: number) => boolean): T | undefined;
  /** Stores `value` until `expiresAtWallMs`, evicting the least recently used past the size. */
  set(token: string, value: T, expiresAtWallMs: number, owner: unknown, generation: number): void;
  clear(): void;
  readonly size: number;
}

interface Entry<T> {
  readonly value: T;
  readonly expiresAt: number;
  readonly owner: unknown;
  readonly generation: number;
}

/** Creates an LRU of at most `maxEntries` (a `Map` keeps insertion order: re-inserting bumps). */
export function createVerifiedCache<T>(maxEntries: number): VerifiedCache<T> {
  const map = new Map<string, Entry<T>>();
  return {
    get(token, wallNow, valid) {
      const e = map.get(token);
      if (e === undefined) return undefined;
      if (wallNow >= e.expiresAt || !valid(e.owner, e.generation)) {
        map.delete(token);
        return undefined;
      }
      map.delete(token);
      map.set(token, e);
      return e.value;
    },
    set(token, value, expiresAtWallMs, owner, generation) {
      map.delete(token);
      map.set(token, { value, expiresAt: expiresAtWallMs, owner, generation });
      while (map.size > maxEntries) {
        const oldest = map.keys().next();
        if (oldest.done === true) break;
        map.delete(oldest.value);
      }
    },
    clear() {
      map.clear();
    },
    get size() {
      return map.size;
    },
  };
}
