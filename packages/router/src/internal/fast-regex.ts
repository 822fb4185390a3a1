/**
 * The parameter fast path: the parameter templates and path prefixes of one method's matcher, as one
 * anchored regular expression whose alternatives are in rank order, with an empty marker group
 * ending each alternative to tell which one matched. The marker trick is Hono's RegExpRouter's
 * (honojs/hono `src/router/reg-exp-router`), which compiles a whole route table into one RegExp;
 * here it covers only a small set of routes nothing else in the matcher can outrank, and only
 * paths already in normalized form, so it never changes a result: anything it does not match
 * goes to the segment trie as before.
 *
 * Why: the trie walk reads the path one `charCodeAt` at a time, and V8 re-dispatches on the
 * string's representation for every read (several instructions per character); the RegExp
 * engine scans the whole path in native code, so for a handful of routes one `exec` costs less
 * than the walk.
 */
import type { Entry } from './trie.js';

/** At most this many routes per matcher: the marker array and the alternatives grow with it. */
export const FAST_RE_MAX = 16;

export interface FastRe {
  readonly re: RegExp;
  /** The entries in rank order; alternative `i` (marker group `i + 1`) is `entries[i]`. */
  readonly entries: readonly Entry[];
}

/**
 * Characters a path in normalized form (and without a query) never holds unencoded: controls,
 * space, `#`, `%`, `?`, `\`, DEL (the test of `isTrivial`, plus `?`).
 */
const UNCLEAN = String.raw`\x00-\x20#%?\\\x7f`;
/** A parameter value in normalized form: non-empty, no `/`, not starting with `.`. */
const VALUE = `[^${UNCLEAN}/.][^${UNCLEAN}/]*`;
/** A catch-all rest in normalized form: segments as above, possibly a trailing `/`, or nothing. */
const REST = `(?:${VALUE}(?:/${VALUE})*/?)?`;
/** Literal segments the expression takes verbatim (a leading `.` or an escape goes to the trie). */
const LITERAL_RE = /^[-A-Za-z0-9_~!$&'()+,;=:@][-A-Za-z0-9._~!$&'()+,;=:@]*$/;

/** `/segment` as the expression takes it verbatim, or undefined when the segment is not a plain literal. */
function literalSource(segment: string): string | undefined {
  return LITERAL_RE.test(segment) ? `/${segment.replace(/[$()+.]/g, '\\$&')}` : undefined;
}

/** The expression for one template's path, or undefined when it is not a candidate. */
export function templateSource(value: string): string | undefined {
  const segs = value.slice(1).split('/');
  let out = '';
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i] as string;
    if (s.startsWith(':')) out += `/${VALUE}`;
    else if (s.startsWith('*')) out += `/${REST}`;
    else if (s === '' && i === segs.length - 1) out += '/';
    else {
      const literal = literalSource(s);
      if (literal === undefined) return undefined;
      out += literal;
    }
  }
  return out;
}

/**
 * The expression for a PathPrefix value (Gateway API: whole segments, a trailing `/` in the value
 * ignored, as the trie inserts it): its literal segments, then nothing or `/` and a normalized
 * rest. Undefined when a segment is not a plain literal.
 */
export function prefixSource(value: string): string | undefined {
  const trimmed = value.endsWith('/') ? value.slice(0, -1) : value;
  let out = '';
  if (trimmed !== '') {
    for (const s of trimmed.slice(1).split('/')) {
      const literal = literalSource(s);
      if (literal === undefined) return undefined;
      out += literal;
    }
  }
  return `${out}(?:/${REST})?`;
}

/**
 * The fast path of one matcher, or undefined. `list` is every entry of the matcher; `isStatic`
 * tells the entries of its whole-path static map (a path equal to a static key never reaches
 * the expression). Only case-sensitive, unsampled parameter templates and path prefixes without hostnames ranked
 * before every other non-static entry are taken, so the first alternative that matches is the
 * matcher's answer when its own conditions (headers, query, attributes) hold; when they do not,
 * the caller walks the trie as usual.
 */
export function compileFastRe(list: readonly Entry[], isStatic: (e: Entry) => boolean): FastRe | undefined {
  const candidates: { e: Entry; src: string }[] = [];
  let others = Number.POSITIVE_INFINITY;
  for (const e of list) {
    if (isStatic(e)) continue;
    const plain = !e.ignoreCase && e.hosts === undefined && e.percent >= 100;
    const src = !plain
      ? undefined
      : e.pathType === 'Template' && e.paramNames.length > 0
        ? templateSource(e.pathValue)
        : e.pathType === 'PathPrefix'
          ? prefixSource(e.pathValue)
          : undefined;
    if (src === undefined) others = Math.min(others, e.rank);
    else candidates.push({ e, src });
  }
  if (candidates.length === 0 || candidates.length > FAST_RE_MAX) return undefined;
  const taken = candidates.filter((c) => c.e.rank < others).sort((a, b) => a.e.rank - b.e.rank);
  if (taken.length === 0) return undefined;
  const single = taken.length === 1;
  const alternatives = taken.map((c) => (single ? `${c.src}$` : `${c.src}$()`));
  return { re: new RegExp(`^(?:${alternatives.join('|')})`), entries: taken.map((c) => c.e) };
}

/** The entry whose alternative matches `path`, or undefined. */
export function fastMatch(f: FastRe, path: string): Entry | undefined {
  const entries = f.entries;
  if (entries.length === 1) return f.re.test(path) ? entries[0] : undefined;
  const m = f.re.exec(path);
  if (m === null) return undefined;
  for (let i = 1; i < m.length; i++) if (m[i] === '') return entries[i - 1];
  return undefined;
}
