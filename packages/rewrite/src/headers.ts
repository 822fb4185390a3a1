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
import { isTokenChar } from './internal/encode.js';

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

/**
 * True for a header {@link HOP_BY_HOP_HEADERS} lists (`name` lower-case). A switch on the
 * length first: most names are rejected by one integer comparison, and a name that is a
 * fresh string (not interned) is never hashed. `headers.test.ts` checks it against the list.
 */
export function isHopByHop(name: string): boolean {
  switch (name.length) {
    case 2:
      return name === 'te';
    case 7:
      return name === 'upgrade' || name === 'trailer';
    case 10:
      return name === 'connection' || name === 'keep-alive';
    case 16:
      return name === 'proxy-connection';
    case 17:
      return name === 'transfer-encoding';
    case 18:
      return name === 'proxy-authenticate';
    case 19:
      return name === 'proxy-authorization';
    default:
      return false;
  }
}

/**
 * The header names a `Connection` value nominates, lower-cased. Returns `null` when an option
 * is not a token (an attempt to smuggle something past the parser).
 */
export function connectionOptions(value: string): string[] | null {
  // Fast path, one pass without split/trim/regex: options made of token characters separated
  // by commas, spaces and tabs. Anything else (other whitespace `trim` would remove, CR/LF,
  // non-ASCII) takes the general path below, so both give the same answer for every input.
  const out: string[] = [];
  const n = value.length;
  let start = 0;
  while (start <= n) {
    let end = value.indexOf(',', start);
    if (end === -1) end = n;
    let a = start;
    let b = end;
    while (a < b && isOws(value.charCodeAt(a))) a++;
    while (b > a && isOws(value.charCodeAt(b - 1))) b--;
    if (a < b) {
      let upper = false;
      for (let i = a; i < b; i++) {
        const c = value.charCodeAt(i);
        if (c >= 65 && c <= 90) upper = true;
        else if (!isTokenChar(c)) return connectionOptionsGeneral(value);
      }
      const t = a === 0 && b === n ? value : value.slice(a, b);
      out.push(upper ? t.toLowerCase() : t);
    }
    start = end + 1;
  }
  return out;
}

function isOws(c: number): boolean {
  return c === 32 || c === 9;
}

/** The reference definition: split on commas, trim, every option a token. */
export function connectionOptionsGeneral(value: string): string[] | null {
  const out: string[] = [];
  for (const raw of value.split(',')) {
    const t = raw.trim();
    if (t === '') continue;
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(t)) return null;
    out.push(t.toLowerCase());
  }
  return out;
}
