/**
 * Compilation: each valid match, in rank order, becomes the engine's {@link Entry}: its rank,
 * what its path type needs at match time (template parameter offsets, regex, case folding), its
 * host set under first match, and its header, query, attribute and client-address conditions
 * compiled into one check function (matches with the same header conditions and nothing else
 * share one).
 */
import type { Cidr } from '@switchyard/core';
import { compileCheck } from './conditions.js';
import type { AttrCond, Check, HeaderCond, HostSet, QueryCond } from './conditions.js';
import type { Entry } from './trie.js';
import { isUnconditional } from './precedence.js';
import type { ValidMatch } from './validate.js';

/** Literal characters before each parameter of a template, from the previous one (`/a/:x/bc/*y` → `[2, 3]`). */
function templateParamGaps(value: string): number[] {
  const out: number[] = [];
  let acc = 0;
  for (const s of value.slice(1).split('/')) {
    if (s.startsWith(':') || s.startsWith('*')) {
      out.push(acc);
      acc = 0;
    } else acc += s.length + 1;
  }
  return out;
}

function hostSetOf(hostnames: readonly string[]): HostSet {
  return {
    exact: new Set(hostnames.filter((h) => !h.startsWith('*.'))),
    suffixes: hostnames.filter((h) => h.startsWith('*.')).map((h) => h.slice(1)),
  };
}

/**
 * The entries of `ordered` (rank = index). Under Gateway precedence hostnames select the host
 * split (see `matcher.ts`); under first match each entry checks its own host set.
 */
export function compileEntries(ordered: readonly ValidMatch[], gateway: boolean): Entry[] {
  // Matches with the same header conditions (and nothing else to check) share one compiled check.
  const sharedChecks = new Map<string, Check | undefined>();
  const checkFor = (headers: readonly HeaderCond[], query: readonly QueryCond[], attrs: readonly AttrCond[], cidrs: readonly Cidr[] | undefined): Check | undefined => {
    if (query.length > 0 || attrs.length > 0 || cidrs !== undefined) return compileCheck(headers, query, attrs, cidrs);
    const key = JSON.stringify(headers.map((h) => [h.name, h.type, h.value, h.re?.source, h.re?.flags, h.invert, h.ignoreCase]));
    if (!sharedChecks.has(key)) sharedChecks.set(key, compileCheck(headers, query, attrs, cidrs));
    return sharedChecks.get(key);
  };
  return ordered.map((v, rank): Entry => {
    const facts = v.facts;
    // Field order is the Entry shape every entry shares (one hidden class in V8).
    return {
      rank,
      route: v.route,
      matchIndex: v.matchIndex,
      pathType: facts.type,
      pathValue: facts.value,
      ignoreCase: facts.ignoreCase,
      re: facts.re,
      reHasGroups: facts.paramNames.length > 0,
      paramNames: facts.paramNames,
      paramGaps: facts.type === 'Template' ? templateParamGaps(facts.value) : [],
      catchAll: facts.type === 'Template' && facts.pathClass === 2,
      staticKey: undefined,
      method: v.method,
      hosts: !gateway && v.hostnames.length > 0 ? hostSetOf(v.hostnames) : undefined,
      percent: v.percent,
      simple: isUnconditional(v),
      check: checkFor(v.headers, v.query, v.attrs, v.cidrs),
      staticResult: undefined,
    };
  });
}
