/**
 * Precedence: the order in which the valid matches of a table are tried (a match's rank is its
 * index in that order), and the warnings for matches that can never be selected.
 *
 * Gateway API HTTPRoute precedence (`HTTPRouteRule.Matches`, kubernetes-sigs/gateway-api
 * `apis/v1/httproute_types.go`): exact paths, then templates with parameters, then prefixes and
 * catch-alls, then regexes (the more literal characters the earlier, within a class); then a
 * method, the most headers, the most query params, the most other conditions; then the oldest
 * `createdAtMs`, `namespace/name` alphabetically, config order. First match (Envoy
 * `route_components.proto` `RouteMatch`; Istio VirtualService `http[]`): config order.
 */
import { asciiLower } from '../normalize.js';
import type { CompileWarning } from '../types.js';
import type { PathFacts, ValidMatch } from './validate.js';

/** Gateway API precedence as a comparator (lower sorts first, i.e. wins). */
function gatewayOrder(a: ValidMatch, b: ValidMatch): number {
  return (
    a.facts.pathClass - b.facts.pathClass ||
    b.facts.specificity - a.facts.specificity ||
    Number(b.method !== undefined) - Number(a.method !== undefined) ||
    b.headers.length - a.headers.length ||
    b.query.length - a.query.length ||
    conditionCount(b) - conditionCount(a) ||
    a.createdAtMs - b.createdAtMs ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
    a.route.index - b.route.index ||
    a.matchIndex - b.matchIndex
  );
}

/** Attribute and client-address conditions (a switchyard extension), after headers and query in precedence. */
function conditionCount(v: ValidMatch): number {
  return v.attrs.length + (v.cidrs === undefined ? 0 : 1);
}

/**
 * The matches in rank order: Gateway API precedence, or config order for first match (the
 * array itself, which is in config order).
 */
export function rankMatches(matches: ValidMatch[], gateway: boolean): ValidMatch[] {
  return gateway ? [...matches].sort(gatewayOrder) : matches;
}

/** A match with nothing but its path, method and hostnames to check. */
export function isUnconditional(v: ValidMatch): boolean {
  return v.headers.length === 0 && v.query.length === 0 && v.attrs.length === 0 && v.cidrs === undefined && v.percent >= 100;
}

/**
 * Adds a warning for every match that an unconditional match ranked before it takes every
 * request from. Conservative: a match it cannot prove unreachable is not reported.
 */
export function findShadowed(ordered: readonly ValidMatch[], gateway: boolean, warnings: CompileWarning[]): void {
  const blockers = ordered.flatMap((v, rank) => (isUnconditional(v) ? [{ v, rank }] : []));
  ordered.forEach((b, rank) => {
    const a = blockers.find(
      (x) =>
        x.rank < rank &&
        (x.v.method === undefined || x.v.method === b.method) &&
        sameHosts(x.v.hostnames, b.hostnames) &&
        // Under Gateway precedence a host-specific route outranks any host-agnostic one.
        (!gateway || x.v.hostnames.length > 0 || b.hostnames.length === 0) &&
        pathCovers(x.v.facts, b.facts),
    );
    if (a !== undefined) {
      warnings.push({
        path: b.configPath,
        message: `unreachable: every request it matches is taken first by ${a.v.configPath} (route ${JSON.stringify(a.v.route.id)})`,
      });
    }
  });
}

/** Does `a` (unconditional) match every path `b` matches? Conservative: false when unsure. */
function pathCovers(a: PathFacts, b: PathFacts): boolean {
  if (a.type === 'RegularExpression' || b.type === 'RegularExpression') return false;
  if (b.ignoreCase && !a.ignoreCase) return false;
  const bh = a.ignoreCase ? asciiLower(b.head) : b.head;
  const bShape = a.ignoreCase ? asciiLower(b.shape) : b.shape;
  switch (a.type) {
    case 'Exact':
      return b.pathClass === 0 && bh === a.head;
    case 'Template':
      if (a.pathClass === 0) return b.pathClass === 0 && bh === a.head;
      if (b.pathClass === 0) return shapeMatches(a.shape, bh);
      return b.type === 'Template' && bShape === a.shape;
    case 'PathPrefix': {
      if (a.head === '/') return true;
      if (b.type === 'Prefix' || (b.type === 'Template' && b.pathClass !== 0)) return bh.startsWith(`${a.head}/`);
      return bh === a.head || bh.startsWith(`${a.head}/`);
    }
    case 'Prefix':
      return bh.startsWith(a.head);
  }
}

/** Does the literal path `p` match the template shape (`users/:/x`, `files/*`)? */
function shapeMatches(shape: string, p: string): boolean {
  const t = shape.split('/');
  const segs = p.slice(1).split('/');
  for (let i = 0; i < t.length; i++) {
    const x = t[i] as string;
    if (x === '*') return i < segs.length;
    const s = segs[i];
    if (s === undefined) return false;
    if (x === ':' ? s === '' : x !== s) return false;
  }
  return t.length === segs.length;
}

/** Every hostname of `b` is one of `a`'s, or `a` has none (it takes every host). */
function sameHosts(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === 0) return true;
  return b.length > 0 && b.every((h) => a.includes(h));
}
