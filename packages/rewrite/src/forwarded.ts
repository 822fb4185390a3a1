/**
 * The forwarding headers (step 7 of `applyRewrite`): compile the `forwarded` option, then append
 * (or write fresh) `X-Forwarded-For` / `-Proto` / `-Host` and RFC 7239 `Forwarded`, dropping
 * what an untrusted peer sent in `'trusted'` mode (Envoy's `use_remote_address` rule).
 */
import { cidrContains, isSendableHeaderValue, parseCidr, parseIp } from '@switchyard/core';
import type { Cidr, IssueCollector, SyRequest } from '@switchyard/core';
import type { ForwardedConfig } from './config.js';
import { hasUnsafeHeaderChar } from './internal/encode.js';
import type { PlanInternals } from './plan.js';
import { reject, unsendable } from './result.js';
import type { RewriteResult } from './result.js';

const FORWARDED_NAMES = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'] as const;

/** Re-exported for tests and the guide: which request headers the forwarding policy owns. */
export const FORWARDING_HEADERS: readonly string[] = FORWARDED_NAMES;

/**
 * The headers the forwarding policy owns (`overwrite` drops what the client sent). Asked once
 * per header name and plan (the answer is cached with the name's classification).
 */
export function isForwardingHeader(lower: string): boolean {
  return FORWARDING_HEADERS.includes(lower);
}

/** A compiled `forwarded` option: the plan's `forwarded*` and `xForwarded` fields. */
export interface CompiledForwarded {
  readonly forwardedMode: PlanInternals['forwardedMode'];
  readonly forwardedTrust: PlanInternals['forwardedTrust'];
  readonly xForwarded: boolean;
  readonly forwardedHeader: boolean;
}

/** Validates the `forwarded` option (reported under `forwarded`) and compiles it. */
export function compileForwarded(fw: ForwardedConfig, issues: IssueCollector): CompiledForwarded {
  const fwMode = fw.mode ?? 'trusted';
  if (!['trusted', 'append', 'overwrite', 'off'].includes(fwMode)) issues.add('forwarded.mode', "must be 'trusted', 'append', 'overwrite' or 'off'");
  const trustCidrs: Cidr[] = [];
  (fw.trustedProxies ?? []).forEach((c, i) => {
    const parsed = parseCidr(c);
    if (parsed === undefined) issues.add(`forwarded.trustedProxies[${i}]`, `not an address or CIDR: ${JSON.stringify(c)}`);
    else trustCidrs.push(parsed);
  });
  const trustHops = fw.trustedHops ?? 0;
  if (!(Number.isInteger(trustHops) && trustHops >= 0)) issues.add('forwarded.trustedHops', 'must be an integer >= 0');
  if (fw.trustedProxies !== undefined && fw.trustedHops !== undefined) issues.add('forwarded', 'trustedProxies and trustedHops are exclusive');
  if (fwMode !== 'trusted' && (fw.trustedProxies !== undefined || fw.trustedHops !== undefined)) issues.add('forwarded.mode', "trustedProxies and trustedHops only apply to mode 'trusted'");
  const which = fw.headers ?? 'x-forwarded';
  if (!['x-forwarded', 'forwarded', 'both'].includes(which)) issues.add('forwarded.headers', "must be 'x-forwarded', 'forwarded' or 'both'");
  return {
    forwardedMode: fwMode,
    forwardedTrust: Object.freeze({ cidrs: Object.freeze(trustCidrs), hops: trustHops, peers: new Map<string, boolean>() }),
    xForwarded: which !== 'forwarded',
    forwardedHeader: which !== 'x-forwarded',
  };
}

function forwardedValue(v: string): string {
  if (/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(v)) return v;
  return `"${v.replace(/[\\"]/g, '\\$&')}"`;
}

/** Writes this hop's forwarding headers into `headers`; returns the `rejected` result, or `undefined`. */
export function addForwarded(p: PlanInternals, headers: Record<string, string>, req: SyRequest): RewriteResult | undefined {
  const client = req.clientAddress;
  // Both are copied into header values. The authority needs no scan here: `applyRewrite` refused
  // any non-empty one that is not a valid host[:port] (printable ASCII only, an IP literal with
  // its `]`), which implies sendable. The client address: one scan when all is well (sendable
  // excludes CR, LF and NUL), the CR/LF/NUL look only for a refused value.
  if (client !== undefined && !isSendableHeaderValue(client)) {
    if (hasUnsafeHeaderChar(client)) return reject('unsafe-header', 'client address or authority contains CR, LF or NUL');
    return unsendable('x-forwarded-for', client);
  }
  // `'trusted'`: a peer that is not a trusted proxy does not get to say where the request came
  // from. Envoy (`conn_manager_utility.cc`, `use_remote_address`): "If the prior hop is not a
  // trusted proxy, overwrite any x-forwarded-proto value it set as untrusted." Here all four
  // headers go, and this hop's values are written fresh. Deleting is the rare path: legitimate
  // direct clients do not send these headers.
  if (p.forwardedMode === 'trusted' && !peerTrusted(p, client)) {
    if (headers['x-forwarded-for'] !== undefined) delete headers['x-forwarded-for'];
    if (headers['x-forwarded-proto'] !== undefined) delete headers['x-forwarded-proto'];
    if (headers['x-forwarded-host'] !== undefined) delete headers['x-forwarded-host'];
    if (headers['forwarded'] !== undefined) delete headers['forwarded'];
  }
  if (p.xForwarded) {
    // Constant property names (not a shared helper with a name argument): each site stays a cheap named access.
    if (client !== undefined && client !== '') {
      const prev = headers['x-forwarded-for'];
      headers['x-forwarded-for'] = prev === undefined || prev === '' ? client : `${prev}, ${client}`;
    }
    const proto = headers['x-forwarded-proto'];
    headers['x-forwarded-proto'] = proto === undefined || proto === '' ? req.scheme : `${proto}, ${req.scheme}`;
    if (req.authority !== '') {
      const prev = headers['x-forwarded-host'];
      headers['x-forwarded-host'] = prev === undefined || prev === '' ? req.authority : `${prev}, ${req.authority}`;
    }
  }
  if (p.forwardedHeader) {
    // RFC 7239 §6: IPv6 is bracketed and quoted; an unknown client is `unknown`.
    const forNode = client === undefined || client === '' ? 'unknown' : client.includes(':') ? `"[${client.replace(/[\\"]/g, '')}]"` : forwardedValue(client);
    let element = `for=${forNode}`;
    if (req.authority !== '') element += `;host=${forwardedValue(req.authority)}`;
    element += `;proto=${req.scheme}`;
    appendForwarded(headers, 'forwarded', element);
  }
  return undefined;
}

/** Peer addresses remembered per plan (a cache: same answer either way), cleared when full. */
const TRUSTED_PEER_CACHE_SIZE = 1024;

/** Whether the request's peer (`clientAddress`) is a trusted proxy for the `'trusted'` mode. */
function peerTrusted(p: PlanInternals, client: string | undefined): boolean {
  const trust = p.forwardedTrust;
  if (trust.hops > 0) return true;
  if (trust.cidrs.length === 0 || client === undefined) return false;
  let trusted = trust.peers.get(client);
  if (trusted === undefined) {
    const ip = parseIp(client);
    trusted = ip !== undefined && trust.cidrs.some((c) => cidrContains(c, ip));
    if (trust.peers.size >= TRUSTED_PEER_CACHE_SIZE) trust.peers.clear();
    trust.peers.set(client, trusted);
  }
  return trusted;
}

function appendForwarded(headers: Record<string, string>, name: string, value: string): void {
  const prev = headers[name];
  headers[name] = prev === undefined || prev === '' ? value : `${prev}, ${value}`;
}
