/** Parsing of configured upstream URLs and of request authorities. */

/** A parsed origin: scheme, lower-cased host, explicit or default port. */
export interface Origin {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** `scheme://host[:port]`, the port omitted when it is the scheme's default. */
  readonly origin: string;
  /** `host[:port]` as it goes into a `Host` header. */
  readonly authority: string;
  /** The `UpstreamTarget` a forward result carries, built once here and shared (frozen). */
  readonly target: { readonly scheme: 'http' | 'https'; readonly host: string; readonly port: number; readonly origin: string };
}

export interface UpstreamBase extends Origin {
  /** Path prefix without trailing slashes (`''` for none). */
  readonly basePath: string;
}

const HOSTNAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

export function defaultPort(scheme: 'http' | 'https'): number {
  return scheme === 'https' ? 443 : 80;
}

/** Parses `host[:port]`; `null` if it is not a valid DNS name, IPv4 or bracketed IPv6 with an optional port. */
export function parseAuthority(authority: string): { host: string; port: number | undefined } | null {
  const a = authority.toLowerCase();
  let host = a;
  let port: number | undefined;
  const close = a.lastIndexOf(']');
  const colon = a.lastIndexOf(':');
  if (colon > close) {
    host = a.slice(0, colon);
    const p = a.slice(colon + 1);
    if (!/^[0-9]{1,5}$/.test(p)) return null;
    port = Number(p);
    if (port < 1 || port > 65535) return null;
  }
  if (!(HOSTNAME.test(host) || IPV6.test(host))) return null;
  return { host, port };
}

export function makeOrigin(scheme: 'http' | 'https', host: string, port: number): Origin {
  const authority = port === defaultPort(scheme) ? host : `${host}:${port}`;
  const origin = `${scheme}://${authority}`;
  return Object.freeze({ scheme, host, port, origin, authority, target: Object.freeze({ scheme, host, port, origin }) });
}

/** Parses `http(s)://host[:port][/base]`; `null` when it is anything else (userinfo, query, fragment, bad host). */
export function parseUpstream(url: string): UpstreamBase | null {
  const m = /^(https?):\/\/([^/?#@\s]+)(\/[^?#\s]*)?$/i.exec(url);
  if (m === null) return null;
  const scheme = (m[1] as string).toLowerCase() as 'http' | 'https';
  const auth = parseAuthority(m[2] as string);
  if (auth === null) return null;
  let basePath = m[3] ?? '';
  while (basePath.endsWith('/')) basePath = basePath.slice(0, -1);
  const o = makeOrigin(scheme, auth.host, auth.port ?? defaultPort(scheme));
  return Object.freeze({ ...o, basePath });
}
