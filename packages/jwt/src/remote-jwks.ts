/**
 * A remote JSON Web Key Set, fetched through the injected {@link Transport} and timed by the
 * injected {@link Clock}: jose's `createRemoteJWKSet` semantics (`src/jwks/remote.ts`) without
 * its `Date.now()` and global `fetch`, so it runs on every runtime the gateway runs on, its
 * fetches go through the same transport (pools, TLS settings, mocks) and tests drive it with
 * the fake clock.
 *
 * - The set is fetched on first use and used for `cacheMaxAgeMs` (jose `cacheMaxAge`, Envoy
 *   `cache_duration`: 10 min), then fetched again before the next verification.
 * - A `kid` (more exactly: a header `alg`/`kid` no key matches) triggers one refetch, unless the
 *   last successful fetch is younger than `cooldownMs` (jose `cooldownDuration`: 30 s): a flood
 *   of tokens with made-up `kid`s costs the identity provider at most one fetch per cooldown
 *   (RFC 8725 §3.10: `kid` is attacker input).
 * - Concurrent refreshes share one fetch (jose's `pendingFetch`).
 * - A failed fetch keeps the previous set in use (a key set stays as trusted as it was; a
 *   removed key stops working at the first fetch that succeeds) and is retried at most once per
 *   `failedRefetchMs` (Envoy `failed_refetch_duration`: 1 s); jose retries on every request.
 * - A fetch (headers and body) is aborted after `timeoutMs` (jose `timeoutDuration`: 5 s); only
 *   a 200 with a JSON Web Key Set counts (jose); redirects are not followed (jose
 *   `redirect: 'manual'`); the body is capped at {@link MAX_JWKS_BYTES}.
 *
 * Key selection within the set (`alg` → `kty`/`crv`, `kid`, `use`, `key_ops`, exactly one
 * match) is jose's `createLocalJWKSet`.
 *
 * @module
 */
import { createLocalJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import { concatBytes, createEndpoint, createLightAbortController, encodeUtf8, type Body, type Clock, type Endpoint, type Transport } from '@switchyard/core';

/** Largest JWKS body read (bytes): real sets are a few kilobytes. */
export const MAX_JWKS_BYTES = 1024 * 1024;

/** Options of {@link createRemoteJwks}. */
export interface RemoteJwksOptions {
  readonly uri: string;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly cacheMaxAgeMs: number;
  readonly cooldownMs: number;
  readonly failedRefetchMs: number;
  readonly timeoutMs: number;
}

/** A key set that is fetched, cached and refreshed; `getKey` is what jose's `jwtVerify` takes. */
export interface RemoteJwks {
  readonly getKey: JWTVerifyGetKey;
  /** As `getKey`, and the generation of the set the key came from. */
  resolve(...args: Parameters<JWTVerifyGetKey>): Promise<{ readonly key: Awaited<ReturnType<JWTVerifyGetKey>>; readonly generation: number }>;
  /** Bumped each time a newly fetched set is installed (caches keyed on the set check it). */
  generation(): number;
  /** True when a set is installed and younger than `cacheMaxAgeMs`. */
  fresh(now: number): boolean;
  /** Fetches now (shared with a fetch in flight); resolves either way. */
  refresh(): Promise<void>;
  /** Aborts a fetch in flight. */
  close(): void;
}

/** Thrown by `getKey` when no key set could be fetched yet: mapped to a 401 by the policy. */
export class JwksUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwksUnavailableError';
  }
}

type LocalSet = ReturnType<typeof createLocalJWKSet>;
type Key = Awaited<ReturnType<JWTVerifyGetKey>>;

/**
 * Creates a remote key set over `transport`.
 *
 * @example
 * ```ts
 * import { jwtVerify } from 'jose';
 * const jwks = createRemoteJwks({ uri: 'https://idp.example/jwks.json', transport, clock, cacheMaxAgeMs: 600_000, cooldownMs: 30_000, failedRefetchMs: 1_000, timeoutMs: 5_000 });
 * await jwtVerify(token, jwks.getKey, { algorithms: ['RS256'] });
 * ```
 */
export function createRemoteJwks(options: RemoteJwksOptions): RemoteJwks {
  const { transport, clock, cacheMaxAgeMs, cooldownMs, failedRefetchMs, timeoutMs } = options;
  const { endpoint, path, host } = splitUri(options.uri);
  const headers = Object.freeze({ host, accept: 'application/json, application/jwk-set+json' });

  let local: LocalSet | undefined;
  let generation = 0;
  /** The generation `local` was installed as. */
  let localGeneration = 0;
  /** Monotonic time of the last successful fetch. */
  let fetchedAt = -Infinity;
  /** Monotonic time of the last failed fetch. */
  let failedAt = -Infinity;
  let pending: Promise<void> | undefined;
  let abortPending: (() => void) | undefined;
  let closed = false;

  const refresh = (): Promise<void> => {
    if (pending !== undefined) return pending;
    if (closed) return Promise.resolve();
    const controller = createLightAbortController();
    const cancelTimer = clock.setTimer(timeoutMs, () => controller.abort(new JwksUnavailableError('JWKS fetch timed out')));
    abortPending = () => controller.abort(new JwksUnavailableError('closed'));
    const current = fetchSet(transport, endpoint, path, headers, controller.signal)
      .then(
        (set) => {
          local = set;
          localGeneration = ++generation;
          fetchedAt = clock.now();
        },
        () => {
          failedAt = clock.now();
        },
      )
      .finally(() => {
        cancelTimer();
        abortPending = undefined;
        if (pending === current) pending = undefined;
      });
    pending = current;
    return current;
  };

  const resolve: RemoteJwks['resolve'] = async (protectedHeader, token) => {
    let now = clock.now();
    if (local === undefined || now - fetchedAt >= cacheMaxAgeMs) {
      // Stale or never fetched: fetch, unless a fetch just failed (then keep what we have).
      if (pending !== undefined || now - failedAt >= failedRefetchMs) await refresh();
    }
    const set = local;
    const setGeneration = localGeneration;
    if (set === undefined) throw new JwksUnavailableError('no JSON Web Key Set could be fetched');
    try {
      return { key: await set(protectedHeader, token), generation: setGeneration };
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      now = clock.now();
      // A key we do not know: the issuer may have rotated. One refetch per cooldown at most.
      if (pending === undefined && (now - fetchedAt < cooldownMs || now - failedAt < failedRefetchMs)) throw error;
      await refresh();
      const next = local;
      const nextGeneration = localGeneration;
      if (next === undefined || next === set) throw error;
      return { key: await next(protectedHeader, token), generation: nextGeneration };
    }
  };
  // Keys already resolved from the current set, by `alg` and `kid`: jose's selection depends on
  // nothing else (a compact JWS has no unprotected header), so the answer for a set never
  // changes. Only successes are kept, so the map holds at most one entry per key and algorithm
  // of the set, whatever `kid`s callers make up; a new set starts an empty map.
  let memo = new Map<string, Promise<Key>>();
  let memoGeneration = 0;
  const getKey: JWTVerifyGetKey = (protectedHeader, token) => {
    const { alg, kid } = protectedHeader;
    const id = typeof alg === 'string' && (kid === undefined || typeof kid === 'string') ? (kid === undefined ? alg : `${alg} ${kid}`) : undefined;
    if (id !== undefined && local !== undefined && clock.now() - fetchedAt < cacheMaxAgeMs) {
      if (memoGeneration !== localGeneration) {
        memo = new Map();
        memoGeneration = localGeneration;
      }
      const hit = memo.get(id);
      if (hit !== undefined) return hit;
    }
    return resolve(protectedHeader, token).then((r) => {
      if (id !== undefined && r.generation === localGeneration) {
        if (memoGeneration !== localGeneration) {
          memo = new Map();
          memoGeneration = localGeneration;
        }
        memo.set(id, Promise.resolve(r.key));
      }
      return r.key;
    });
  };

  return {
    getKey,
    resolve,
    generation: () => generation,
    fresh: (now) => local !== undefined && now - fetchedAt < cacheMaxAgeMs,
    refresh,
    close() {
      closed = true;
      abortPending?.();
    },
  };
}

/** The endpoint (origin), request target and Host of a JWKS URI (validated by the schema). */
function splitUri(uri: string): { endpoint: Endpoint; path: string; host: string } {
  const m = /^(https?:\/\/[^/?#]+)([^#]*)$/.exec(uri);
  if (m === null) throw new TypeError(`invalid jwksUri ${JSON.stringify(uri)}`);
  const origin = m[1] as string;
  const rest = m[2] as string;
  const path = rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest;
  const endpoint = createEndpoint({ id: `jwks:${uri}`, url: origin });
  const scheme = origin.startsWith('https:') ? 'https' : 'http';
  let host = endpoint.url.slice(scheme.length + 3);
  // The Host header omits the scheme's default port (RFC 9110 §7.2).
  if ((scheme === 'https' && host.endsWith(':443')) || (scheme === 'http' && host.endsWith(':80'))) host = host.slice(0, host.lastIndexOf(':'));
  return { endpoint, path, host };
}

async function fetchSet(transport: Transport, endpoint: Endpoint, path: string, headers: Readonly<Record<string, string>>, signal: ReturnType<typeof createLightAbortController>['signal']): Promise<LocalSet> {
  const result = await transport.send({ method: 'GET', path, headers }, endpoint, { signal });
  if (result.kind !== 'response') throw new JwksUnavailableError(`JWKS fetch failed: ${result.error}`);
  const { status, body } = result.response;
  const bytes = await readBody(body, signal);
  if (status !== 200) throw new JwksUnavailableError(`JWKS fetch answered ${status}`);
  const Decoder = (globalThis as unknown as { TextDecoder: new (label: string, options: { fatal: boolean }) => { decode(b: Uint8Array): string } }).TextDecoder;
  const json: unknown = JSON.parse(new Decoder('utf-8', { fatal: true }).decode(bytes));
  // createLocalJWKSet checks the shape ({ keys: [...] }) and copies the set.
  return createLocalJWKSet(json as Parameters<typeof createLocalJWKSet>[0]);
}

/** The whole body, at most {@link MAX_JWKS_BYTES}; throws past the cap or on abort. */
async function readBody(body: Body | null, signal: { readonly aborted: boolean; readonly reason?: unknown }): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  if (typeof body === 'string') {
    if (body.length > MAX_JWKS_BYTES) throw new JwksUnavailableError('JWKS body too large');
    return encodeUtf8(body);
  }
  if (body instanceof Uint8Array) {
    if (body.byteLength > MAX_JWKS_BYTES) throw new JwksUnavailableError('JWKS body too large');
    return body;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const iterator = body[Symbol.asyncIterator]();
  try {
    while (true) {
      if (signal.aborted) throw signal.reason;
      const { done, value } = await iterator.next();
      if (done === true) break;
      total += value.byteLength;
      if (total > MAX_JWKS_BYTES) throw new JwksUnavailableError('JWKS body too large');
      chunks.push(value);
    }
  } catch (error) {
    // Release the stream (and its connection) on the way out.
    await iterator.return?.().catch(() => undefined);
    throw error;
  }
  if (signal.aborted) throw signal.reason;
  return concatBytes(chunks, total);
}

