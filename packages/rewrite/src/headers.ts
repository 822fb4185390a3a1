/**
 * Header hygiene and modifiers.
 *
 * - Hop-by-hop headers (RFC 9110 §7.6.1): `Connection` and every header it names, plus
 *   `Proxy-Connection`, `Keep-Alive`, `TE`, `Transfer-Encoding`, `Upgrade`, `Trailer`,
 *   `Proxy-Authenticate`, `Proxy-Authorization` (RFC 2616 §13.5.1's list) are removed in both
 *   directions. `TE: trailers` is kept on requests, as Envoy does, because gRPC needs it.
 * - `Connection` options must be tokens (RFC 9110 §5.6.2); hono's `strictConnectionProcessing`
 *   is the model. Nominated headers are removed *before* the gateway adds its own headers,
 *   so a client cannot use `Connection: x-forwarded-for` to strip what the gateway sets.
 * - Header modifiers with the Gateway API `HTTPHeaderFilter` semantics: `set` overwrites,
 *   `add` appends to an existing value joined with `,` (conformance expects `a,b`), `remove`
 *   deletes; names are case-insensitive.
 */

/** Hop-by-hop headers removed in both directions. */
export const HOP_BY_HOP_HEADERS: readonly string[] = Object.freeze([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
]);

const HOP_SET: ReadonlySet<string> = new Set(HOP_BY_HOP_HEADERS);

/** True for a header {@link HOP_BY_HOP_HEADERS} lists. */
export function isHopByHop(name: string): boolean {
  return HOP_SET.has(name);
}

/**
 * The header names a `Connection` value nominates, lower-cased. Returns `null` when an option
 * is not a token (an attempt to smuggle something past the parser).
 */
export function connectionOptions(value: string): string[] | null {
  const out: string[] = [];
  for (const raw of value.split(',')) {
    const t = raw.trim();
    if (t === '') continue;
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(t)) return null;
    out.push(t.toLowerCase());
  }
  return out;
}
