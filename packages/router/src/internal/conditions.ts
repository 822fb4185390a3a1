/**
 * Compiled header, query, cookie, client-IP and attribute conditions, and how each matches a
 * request.
 */

import { cidrContains, parseIp, queryValue } from '@switchyard/core';
import type { Attributes, Cidr, RequestHeaders } from '@switchyard/core';
import type { AttributeScalar, HeaderMatchType, MatchRequest, QueryMatchType } from '../types.js';

/** A compiled header condition. */
export interface HeaderCond {
  readonly name: string;
  readonly type: HeaderMatchType;
  /** Lower-cased when `ignoreCase`. */
  readonly value: string;
  readonly re: RegExp | undefined;
  readonly invert: boolean;
  readonly ignoreCase: boolean;
}

export function headerPasses(c: HeaderCond, headers: RequestHeaders | undefined): boolean {
  const raw = headers === undefined ? undefined : headers[c.name];
  let m: boolean;
  switch (c.type) {
    case 'Present':
      m = raw !== undefined;
      break;
    case 'Absent':
      m = raw === undefined;
      break;
    default: {
      // A missing header fails a value matcher even when inverted (Envoy's default).
      if (raw === undefined) return false;
      const v = c.ignoreCase && c.re === undefined ? raw.toLowerCase() : raw;
      switch (c.type) {
        case 'Exact':
          m = v === c.value;
          break;
        case 'Prefix':
          m = v.startsWith(c.value);
          break;
        case 'Suffix':
          m = v.endsWith(c.value);
          break;
        case 'Contains':
          m = v.includes(c.value);
          break;
        default:
          m = (c.re as RegExp).test(v);
      }
    }
  }
  return c.invert ? !m : m;
}

/** A compiled query-parameter condition. */
export interface QueryCond {
  readonly name: string;
  readonly type: QueryMatchType;
  readonly value: string;
  readonly re: RegExp | undefined;
}

export function queryPasses(c: QueryCond, query: string): boolean {
  // The raw value (core's one rule for request keys, as Envoy's route matching reads it).
  const v = queryValue(query, c.name);
  if (v === undefined) return false;
  switch (c.type) {
    case 'Present':
      return true;
    case 'Exact':
      return v === c.value;
    default:
      return (c.re as RegExp).test(v);
  }
}

/** A compiled attribute condition. */
export interface AttrCond {
  readonly keyPath: readonly string[];
  readonly kind: 'equals' | 'oneOf' | 'present' | 'cidrs';
  readonly values: readonly AttributeScalar[];
  readonly present: boolean;
  readonly cidrs: readonly Cidr[];
}

function lookup(attributes: Attributes | undefined, keyPath: readonly string[]): unknown {
  let v: unknown = attributes;
  for (const k of keyPath) {
    if (v === null || typeof v !== 'object') return undefined;
    // Own properties only: a key named "constructor" must not reach Object.prototype.
    if (!Object.prototype.hasOwnProperty.call(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

export function ipInCidrs(address: unknown, cidrs: readonly Cidr[]): boolean {
  if (typeof address !== 'string') return false;
  const ip = parseIp(address);
  if (ip === undefined) return false;
  for (const c of cidrs) if (cidrContains(c, ip)) return true;
  return false;
}

export function attrPasses(c: AttrCond, attributes: Attributes | undefined): boolean {
  const v = lookup(attributes, c.keyPath);
  switch (c.kind) {
    case 'present':
      return (v !== undefined && v !== null) === c.present;
    case 'equals':
      return v === c.values[0];
    case 'oneOf':
      return (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && c.values.includes(v);
    default:
      return ipInCidrs(v, c.cidrs);
  }
}

/** Host part of an authority, lower-cased, without port or trailing dot. */
export function hostOf(authority: string | undefined): string {
  if (authority === undefined || authority === '') return '';
  let h: string;
  if (authority.charCodeAt(0) === 91) {
    const end = authority.indexOf(']');
    h = end < 0 ? authority : authority.slice(0, end + 1);
  } else {
    const colon = authority.lastIndexOf(':');
    h = colon < 0 ? authority : authority.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.toLowerCase();
}

/** Hostnames of one route: exact names and wildcard suffixes (`.example.com`). */
export interface HostSet {
  readonly exact: ReadonlySet<string>;
  readonly suffixes: readonly string[];
}

export function hostMatches(set: HostSet, host: string): boolean {
  if (set.exact.has(host)) return true;
  for (const s of set.suffixes) if (host.length > s.length && host.endsWith(s)) return true;
  return false;
}

/** A match's non-path conditions compiled into one function of the request and its raw query string. */
export type Check = (req: MatchRequest, query: string) => boolean;

function headerCheck(c: HeaderCond): Check {
  const name = c.name;
  const value = c.value;
  if (!c.invert && !c.ignoreCase) {
    // The common shapes get closures without the type switch.
    switch (c.type) {
      case 'Exact':
        return (req) => {
          const h = req.headers;
          return h !== undefined && h[name] === value;
        };
      case 'Prefix':
        return (req) => {
          const v = req.headers?.[name];
          return v !== undefined && v.startsWith(value);
        };
      case 'Present':
        return (req) => {
          const h = req.headers;
          return h !== undefined && h[name] !== undefined;
        };
      default:
    }
  }
  return (req) => headerPasses(c, req.headers);
}

/**
 * Compiles the non-path, non-method, non-host conditions of one match (all ANDed) into one
 * function, so the matcher calls one closure instead of walking four condition lists.
 * Undefined when there is nothing to check.
 */
export function compileCheck(
  headers: readonly HeaderCond[],
  query: readonly QueryCond[],
  attrs: readonly AttrCond[],
  cidrs: readonly Cidr[] | undefined,
): Check | undefined {
  const fns: Check[] = headers.map(headerCheck);
  for (const q of query) fns.push((_req, qs) => queryPasses(q, qs));
  for (const a of attrs) fns.push((req) => attrPasses(a, req.attributes));
  if (cidrs !== undefined) fns.push((req) => ipInCidrs(req.clientAddress, cidrs));
  const [a, b, c] = fns;
  switch (fns.length) {
    case 0:
      return undefined;
    case 1:
      return a;
    case 2: {
      const x = a as Check;
      const y = b as Check;
      return (req, qs) => x(req, qs) && y(req, qs);
    }
    case 3: {
      const x = a as Check;
      const y = b as Check;
      const z = c as Check;
      return (req, qs) => x(req, qs) && y(req, qs) && z(req, qs);
    }
    default:
      return (req, qs) => {
        for (let i = 0; i < fns.length; i++) if (!(fns[i] as Check)(req, qs)) return false;
        return true;
      };
  }
}
