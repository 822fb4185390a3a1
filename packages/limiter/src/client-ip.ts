/**
 * Client identity behind proxies, spoof-resistant: `X-Forwarded-For` / `Forwarded` are read
 * right to left, and only hops a trusted proxy appended are believed (the model of Express's
 * `trust proxy` / `proxy-addr`, and of Envoy's `xff_num_trusted_hops`). IPv6 clients are masked
 * to a prefix (default /56, as express-rate-limit since PR #503) so that rotating addresses
 * within one allocation does not walk around a per-IP limit; IPv4-mapped IPv6 is IPv4.
 */
import { cidrContains, ConfigError, formatIp, maskIp, parseCidr, parseIp, type Cidr, type IpAddress, type SyRequest } from '@switchyard/core';

/** Which proxies to believe. One of the two is required: there is no implicit default. */
export type TrustedProxies =
  /** CIDRs (or bare addresses) of your proxies; `[]` trusts none (the TCP peer is the client). */
  | { readonly trustedProxies: readonly string[] }
  /** Number of proxies in front of you (Envoy `xff_num_trusted_hops`; Express `trust proxy: N`). */
  | { readonly trustedHops: number };

/** Options of {@link createClientIdentity}. */
export type ClientIdentityOptions = TrustedProxies & {
  /** Header to read (default `x-forwarded-for`). */
  readonly header?: 'x-forwarded-for' | 'forwarded';
  /** Prefix IPv6 clients are masked to (default 56). */
  readonly ipv6Prefix?: number;
  /** Prefix IPv4 clients are masked to (default 32). */
  readonly ipv4Prefix?: number;
};

/** Who the client is. */
export interface ClientIdentity {
  /** The client address, canonical text. */
  readonly address: string;
  /** The rate-limit key: the address masked to its prefix, e.g. `2001:db8:0:100::/56`. */
  readonly key: string;
}

/** Resolves a request's client; `undefined` when not even the TCP peer address is known. */
export type ClientIdentityResolver = (req: SyRequest) => ClientIdentity | undefined;

/**
 * Compiles a client-identity resolver.
 *
 * Gotcha: behind a CDN or load balancer, list its egress ranges (or its hop count) or every
 * client shares the proxy's bucket; never trust more hops than you have, or clients can choose
 * their own key by sending `X-Forwarded-For`.
 *
 * @example
 * ```ts
 * import { createClientIdentity } from '@switchyard/limiter';
 * const clientOf = createClientIdentity({ trustedProxies: ['10.0.0.0/8'] });
 * clientOf({ method: 'GET', scheme: 'https', authority: 'a', path: '/', query: '', attributes: {},
 *   clientAddress: '10.0.0.2', headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.9' } });
 * // { address: '198.51.100.9', key: '198.51.100.9/32' }
 * ```
 */
export function createClientIdentity(options: ClientIdentityOptions): ClientIdentityResolver {
  const issues: Array<{ path: string; message: string }> = [];
  const v6 = options.ipv6Prefix ?? 56;
  const v4 = options.ipv4Prefix ?? 32;
  if (!(Number.isInteger(v6) && v6 >= 0 && v6 <= 128)) issues.push({ path: 'ipv6Prefix', message: 'must be an integer in [0, 128]' });
  if (!(Number.isInteger(v4) && v4 >= 0 && v4 <= 32)) issues.push({ path: 'ipv4Prefix', message: 'must be an integer in [0, 32]' });
  let cidrs: Cidr[] | undefined;
  let hops = 0;
  if ('trustedProxies' in options) {
    cidrs = [];
    options.trustedProxies.forEach((c, i) => {
      const parsed = parseCidr(c);
      if (parsed === undefined) issues.push({ path: `trustedProxies[${i}]`, message: `not an address or CIDR: ${JSON.stringify(c)}` });
      else cidrs?.push(parsed);
    });
  } else if ('trustedHops' in options) {
    hops = options.trustedHops;
    if (!(Number.isInteger(hops) && hops >= 0)) issues.push({ path: 'trustedHops', message: 'must be an integer >= 0' });
  } else {
    issues.push({ path: 'trustedProxies', message: 'set trustedProxies (CIDRs) or trustedHops: there is no safe default' });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const header = options.header ?? 'x-forwarded-for';
  const trusted = cidrs === undefined ? undefined : Object.freeze(cidrs);

  function keyOf(ip: IpAddress): ClientIdentity {
    const prefix = ip.version === 6 ? v6 : v4;
    return Object.freeze({ address: formatIp(ip), key: `${formatIp(maskIp(ip, prefix))}/${prefix}` });
  }

  // The TCP peer's parse, identity and trust, remembered per address text: a client's next
  // requests skip parsing and formatting. Bounded: cleared whenever it reaches PEER_CACHE_SIZE.
  const peers = new Map<string, PeerEntry>();
  function peerOf(text: string): PeerEntry | undefined {
    let entry = peers.get(text);
    if (entry === undefined) {
      const ip = parseIp(text);
      if (ip === undefined) return undefined;
      entry = { ip, identity: keyOf(ip), trusted: trusted !== undefined && isTrusted(trusted, ip) };
      if (peers.size >= PEER_CACHE_SIZE) peers.clear();
      peers.set(text, entry);
    }
    return entry;
  }

  return (req) => {
    const entry = req.clientAddress === undefined ? undefined : peerOf(req.clientAddress);
    if (entry === undefined) return undefined;
    const peer = entry.ip;
    const value = req.headers[header];
    if (trusted !== undefined) {
      let current = peer;
      if (!entry.trusted || value === undefined) return entry.identity;
      const chain = header === 'forwarded' ? forwardedFor(value) : value.split(',');
      for (let i = chain.length - 1; i >= 0; i--) {
        const hop = parseIp((chain[i] as string).trim());
        // A trusted proxy passed on garbage: the nearest address we can vouch for is the client.
        if (hop === undefined) return keyOf(current);
        current = hop;
        if (!isTrusted(trusted, current)) return keyOf(current);
      }
      return keyOf(current);
    }
    // Hop count: the client is `hops` entries left of the peer (or the leftmost one).
    if (hops === 0 || value === undefined) return entry.identity;
    const chain = header === 'forwarded' ? forwardedFor(value) : value.split(',');
    let current = peer;
    for (let i = chain.length - 1, n = 0; i >= 0 && n < hops; i--, n++) {
      const hop = parseIp((chain[i] as string).trim());
      if (hop === undefined) return keyOf(current);
      current = hop;
    }
    return keyOf(current);
  };
}

/** Peer addresses remembered per resolver. */
const PEER_CACHE_SIZE = 4096;

interface PeerEntry {
  readonly ip: IpAddress;
  readonly identity: ClientIdentity;
  /** Whether the peer is one of the trusted proxies. */
  readonly trusted: boolean;
}

function isTrusted(cidrs: readonly Cidr[], ip: IpAddress): boolean {
  for (const c of cidrs) if (cidrContains(c, ip)) return true;
  return false;
}

/** The `for=` values of a `Forwarded` header (RFC 7239), in order; others as `''`. */
export function forwardedFor(value: string): string[] {
  const out: string[] = [];
  for (const element of value.split(',')) {
    let found = '';
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
      let v = pair.slice(eq + 1).trim();
      if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
      // `[2001:db8::1]:4711` or `192.0.2.1:80`: drop the port.
      if (v.startsWith('[')) v = v.slice(0, v.indexOf(']') + 1);
      else if (v.indexOf(':') === v.lastIndexOf(':') && v.includes(':')) v = v.slice(0, v.indexOf(':'));
      found = v;
    }
    out.push(found);
  }
  return out;
}
