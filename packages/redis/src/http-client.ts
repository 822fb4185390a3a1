/**
 * An HTTP Redis client in the style of Upstash's REST API (https://upstash.com/docs/redis/features/restapi):
 * each command is one `POST <url>` with the command as a JSON array body
 * (`["EVALSHA", sha, numkeys, ...keys, ...args]`) and `Authorization: Bearer <token>`; the
 * reply is `{ "result": … }` or `{ "error": "…" }`. It runs wherever `fetch` does (workers,
 * Deno, Bun, Node), so gateways on an edge runtime share limiter buckets and rollouts across
 * isolates. `fetch` is injected (the platform's, or a test's).
 *
 * One round trip per script call: `EVALSHA`; on `NOSCRIPT` the stores send `EVAL` with the
 * script (one more round trip, which also caches it), never `SCRIPT LOAD` + `EVALSHA`.
 */
import type { RedisLike } from './client.js';

/** The part of `fetch` the client uses. */
export type FetchLike = (
  url: string,
  init: { readonly method: 'POST'; readonly headers: Record<string, string>; readonly body: string; readonly signal?: unknown },
) => Promise<{ readonly status: number; json(): Promise<unknown> }>;

/** Options of {@link fromHttpRedis}. */
export interface HttpRedisOptions {
  /** The REST endpoint, e.g. `https://eu1-xxx.upstash.io`. */
  readonly url: string;
  /** Bearer token (Upstash `UPSTASH_REDIS_REST_TOKEN`). */
  readonly token?: string;
  readonly fetch: FetchLike;
}

/**
 * A {@link RedisLike} over an Upstash-style REST endpoint.
 *
 * @example
 * ```ts
 * import { createRedisStore, fromHttpRedis } from '@switchyard/redis';
 * const store = createRedisStore({
 *   client: fromHttpRedis({ url: 'https://eu1-xxx.upstash.io', token: 'AX…', fetch: (u, i) => fetch(u, i) }),
 *   onStoreError: 'local',
 * });
 * ```
 */
export function fromHttpRedis(options: HttpRedisOptions): RedisLike {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  const command = async (args: readonly string[]): Promise<unknown> => {
    const res = await options.fetch(options.url, { method: 'POST', headers, body: JSON.stringify(args) });
    const body = (await res.json().catch(() => undefined)) as { result?: unknown; error?: unknown } | undefined;
    if (body !== undefined && typeof body.error === 'string') throw new Error(body.error);
    if (res.status >= 300 || body === undefined || !('result' in body)) throw new Error(`HTTP Redis answered ${res.status}`);
    return body.result;
  };
  return {
    evalsha: (sha, keys, args) => command(['EVALSHA', sha, String(keys.length), ...keys, ...args]),
    eval: (script, keys, args) => command(['EVAL', script, String(keys.length), ...keys, ...args]),
    scriptLoad: async (script) => String(await command(['SCRIPT', 'LOAD', script])),
  };
}
